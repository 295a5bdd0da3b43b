// A long run through one dispatcher at a steady offered rate: throughput per window, RSS, heap,
// active handles and timers (prom-client's default metrics: nodejs_active_handles_total,
// nodejs_active_resources{type="Timeout"}) sampled over time; none should grow with the events.
import { DATABASE_URL, KAFKA_BROKERS } from '../../test/support/infra';
import { fmt, sleep, type ProcessFigures } from '../chaos-system';
import { log } from '../progress';
import { deliveryFigures, type Scenario, type ScenarioResult } from '../result';
import { scaled, withSystem } from './common';

export interface SoakParams {
  events: number;
  perSecond: number;
  sampleEveryMs: number;
}

const NAME = 'soak';
const TITLE = 'a long steady load through one dispatcher (throughput, RSS, handles, timers)';
const MB = 1024 * 1024;

export async function runSoak(p: SoakParams): Promise<ScenarioResult> {
  const started = Date.now();
  return withSystem(
    {
      scenario: NAME,
      infra: { brokers: KAFKA_BROKERS, replicationFactor: 1, databaseUrl: DATABASE_URL },
      accounts: 10,
      webhooksPerAccount: 1,
      capacity: p.events,
    },
    async (system) => {
      await system.startDispatcher(0);
      await system.createWebhooks();
      await system.connectPublisher();
      log(`${NAME}: publishing ${fmt(p.events)} events at ${fmt(p.perSecond)}/s`);
      const loadStart = Date.now();
      let publishingDone = false;
      const publishing = system
        .publishPaced({ count: p.events, perSecond: p.perSecond, batchSize: 100 })
        .finally(() => (publishingDone = true));
      // `offeredThroughout`: publishing ran the whole window (the last one ends after it stopped,
      // so fewer events were offered in it: not a measure of steadiness).
      const samples: (ProcessFigures & { delivered: number; offeredThroughout: boolean })[] = [];
      while (!publishingDone) {
        await sleep(p.sampleEveryMs);
        const offeredThroughout = !publishingDone;
        const f = await system.processFigures(0);
        if (f) {
          samples.push({ ...f, delivered: system.tally.delivered, offeredThroughout });
          log(
            `${NAME}: ${fmt(system.tally.delivered)}/${fmt(system.tally.expected)} delivered; RSS ${fmt((f.rssBytes ?? 0) / MB)} MB, heap ${fmt((f.heapUsedBytes ?? 0) / MB)} MB, handles ${fmt(f.activeHandles)}, timers ${fmt(f.timers)}`,
          );
        }
      }
      await publishing;
      const publishedAt = Date.now();
      await system.waitForDelivery(NAME);
      // After the load: what is left once idle.
      await sleep(5_000);
      const idle = await system.processFigures(0);
      const projection = await system.compareProjection(300_000);
      const { rows, checks } = deliveryFigures(system, projection);
      // Windows of the samples: deliveries/s between consecutive samples.
      const rates = samples.slice(1).map((s, i) => ({
        perSecond: ((s.delivered - samples[i].delivered) * 1000) / (s.at - samples[i].at),
        full: s.offeredThroughout,
      }));
      // The first window includes the warm-up; a window publishing ended in offered less.
      const steady = rates
        .slice(1)
        .filter((r) => r.full)
        .map((r) => r.perSecond);
      const sorted = [...steady].sort((a, b) => a - b);
      const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] ?? null;
      const warm = samples[Math.floor(samples.length / 4)] ?? samples[0];
      const last = samples[samples.length - 1];
      const series = (pick: (s: ProcessFigures) => number | null, scale = 1) =>
        samples
          .filter(
            (_, i) => i % Math.max(1, Math.floor(samples.length / 12)) === 0 || i === samples.length - 1,
          )
          .map((s) => fmt((pick(s) ?? 0) / scale))
          .join(' ');
      const totalS = (publishedAt - loadStart) / 1000;
      rows.push(
        [
          'offered rate / achieved publish rate',
          `${fmt(p.perSecond)}/s / ${fmt(system.tally.acked / totalS)}/s`,
        ],
        [
          'deliveries/s per window: min / p10 / median / max',
          `${fmt(q(0))} / ${fmt(q(0.1))} / ${fmt(q(0.5))} / ${fmt(sorted[sorted.length - 1] ?? null)}`,
        ],
        [
          'delivery lag at the end of publishing (pairs)',
          fmt(system.tally.expected - (last?.delivered ?? 0)),
        ],
        [
          `RSS MB over time (every ~${fmt((p.sampleEveryMs * Math.max(1, Math.floor(samples.length / 12))) / 1000)} s)`,
          series((s) => s.rssBytes, MB),
        ],
        ['heap used MB over time', series((s) => s.heapUsedBytes, MB)],
        ['active handles over time', series((s) => s.activeHandles)],
        ['timers (active Timeout resources) over time', series((s) => s.timers)],
        [
          'idle after the load: RSS MB / heap MB / handles / timers',
          `${fmt((idle?.rssBytes ?? 0) / MB)} / ${fmt((idle?.heapUsedBytes ?? 0) / MB)} / ${fmt(idle?.activeHandles)} / ${fmt(idle?.timers)}`,
        ],
      );
      const rssGrowth = warm?.rssBytes && last?.rssBytes ? last.rssBytes / warm.rssBytes - 1 : null;
      const handleGrowth = warm && last ? (last.activeHandles ?? 0) - (warm.activeHandles ?? 0) : null;
      const timerGrowth = warm && last ? (last.timers ?? 0) - (warm.timers ?? 0) : null;
      checks.push(
        {
          target:
            'throughput steady: every window after warm-up (while publishing) ≥ 80 % of the offered rate',
          ok: q(0) !== null && (q(0) ?? 0) >= 0.8 * p.perSecond,
          detail: `slowest window ${fmt(q(0))}/s against ${fmt(p.perSecond)}/s offered`,
        },
        {
          target: 'RSS flat: growth from 25 % of the run to its end < 25 %',
          ok: rssGrowth !== null && rssGrowth < 0.25,
          detail: rssGrowth === null ? 'n/a' : `${fmt(rssGrowth * 100, 1)} %`,
        },
        {
          target: 'no handle or timer growth (≤ 10 more at the end than at 25 %)',
          ok: handleGrowth !== null && timerGrowth !== null && handleGrowth <= 10 && timerGrowth <= 10,
          detail: `handles ${handleGrowth === null ? 'n/a' : `${handleGrowth >= 0 ? '+' : ''}${handleGrowth}`}, timers ${timerGrowth === null ? 'n/a' : `${timerGrowth >= 0 ? '+' : ''}${timerGrowth}`}`,
        },
      );
      return {
        name: NAME,
        title: TITLE,
        seconds: (Date.now() - started) / 1000,
        rows,
        checks,
        notes: [
          `${fmt(p.events)} events at ${fmt(p.perSecond)}/s offered, 10 accounts × 1 webhook, samples every ${fmt(p.sampleEveryMs / 1000)} s`,
        ],
      };
    },
    { title: TITLE },
  );
}

export const soak: Scenario = {
  name: NAME,
  title: TITLE,
  run: ({ scale }) => runSoak({ events: scaled(1_000_000, scale), perSecond: 1_000, sampleEveryMs: 15_000 }),
};
