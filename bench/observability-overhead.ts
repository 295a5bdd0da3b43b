// Issue 10's check on its own cost: the fast scenario with the Prometheus instruments and the
// Postgres health rollups on (as deployed) and off (METRICS_ENABLED=false, HEALTH_ROLLUPS_ENABLED=
// false), in rounds that alternate which goes first, so both see the same machine; medians over
// the rounds. Target: deliveries/s with them on within 5 % of off. It reports; it never fails.
import type { BenchConfig } from './bench-config';
import { log } from './progress';
import { preloadedScenario, type PreloadedResult } from './scenarios';
import { formatNumber, formatTable, median, ratio } from './stats';
import { TARGET_OBSERVABILITY_COST } from './targets';

const OFF = { METRICS_ENABLED: 'false', HEALTH_ROLLUPS_ENABLED: 'false' };

export interface OverheadRound {
  on: PreloadedResult;
  off: PreloadedResult;
}

export interface OverheadResult {
  rounds: OverheadRound[];
  onPerSecond: number | null;
  offPerSecond: number | null;
  /** 1 − on / off, from the medians (target < 5 %). */
  cost: number | null;
  /** The dispatcher's CPU per delivery, medians. */
  onDispatcherUs: number | null;
  offDispatcherUs: number | null;
}

export async function observabilityOverheadScenario(config: BenchConfig): Promise<OverheadResult> {
  const rounds: OverheadRound[] = [];
  const off: BenchConfig = { ...config, dispatcherEnv: { ...config.dispatcherEnv, ...OFF } };
  for (let round = 1; round <= config.repeats; round++) {
    const offFirst = round % 2 === 0;
    log(
      `observability overhead: round ${round}/${config.repeats} (${offFirst ? 'off, then on' : 'on, then off'})`,
    );
    const first = await preloadedScenario(offFirst ? off : config, 'fast');
    const second = await preloadedScenario(offFirst ? config : off, 'fast');
    rounds.push(offFirst ? { on: second, off: first } : { on: first, off: second });
  }
  const onPerSecond = median(rounds.map((r) => r.on.endToEnd.perSecond));
  const offPerSecond = median(rounds.map((r) => r.off.endToEnd.perSecond));
  const onOverOff = ratio(onPerSecond, offPerSecond);
  return {
    rounds,
    onPerSecond,
    offPerSecond,
    cost: onOverOff === null ? null : 1 - onOverOff,
    onDispatcherUs: median(rounds.map((r) => r.on.cpuBudget.perDeliveryUs.dispatcher)),
    offDispatcherUs: median(rounds.map((r) => r.off.cpuBudget.perDeliveryUs.dispatcher)),
  };
}

export function overheadTable(r: OverheadResult): string {
  const rate = (v: number | null) => formatNumber(v);
  const us = (v: number | null) => formatNumber(v);
  return [
    `observability overhead: metrics and health rollups on vs off, fast scenario, ${r.rounds.length} round(s), alternating`,
    formatTable([
      ['', 'on (deployed)', 'off', 'per round (on / off)'],
      [
        'deliveries/s (median)',
        rate(r.onPerSecond),
        rate(r.offPerSecond),
        r.rounds
          .map((x) => `${rate(x.on.endToEnd.perSecond)} / ${rate(x.off.endToEnd.perSecond)}`)
          .join(', '),
      ],
      [
        'dispatcher CPU µs per delivery (median)',
        us(r.onDispatcherUs),
        us(r.offDispatcherUs),
        r.rounds
          .map(
            (x) =>
              `${us(x.on.cpuBudget.perDeliveryUs.dispatcher)} / ${us(x.off.cpuBudget.perDeliveryUs.dispatcher)}`,
          )
          .join(', '),
      ],
    ]),
    `cost of metrics and rollups: ${r.cost === null ? 'n/a' : `${formatNumber(r.cost * 100, 1)} %`} of throughput (target < ${TARGET_OBSERVABILITY_COST * 100} %)`,
  ].join('\n');
}
