// The dispatcher SIGKILLed at random moments under load and started again each time (crash-safety
// at scale): nothing lost, duplicates reported (a kill between an attempt and its commit forces a
// redelivery), Postgres equal to the delivery topic.
import { randomInt } from 'node:crypto';
import { DATABASE_URL, KAFKA_BROKERS } from '../../test/support/infra';
import { fmt, sleep } from '../chaos-system';
import { log } from '../progress';
import { deliveryFigures, type FaultWindow, type Scenario, type ScenarioResult } from '../result';
import { scaled, withSystem } from './common';

export interface DispatcherKillsParams {
  events: number;
  perSecond: number;
  kills: number;
}

const NAME = 'dispatcher-kills';
const TITLE = 'the dispatcher SIGKILLed at random moments under load, restarted each time';

export async function runDispatcherKills(p: DispatcherKillsParams): Promise<ScenarioResult> {
  const started = Date.now();
  return withSystem(
    {
      scenario: NAME,
      infra: { brokers: KAFKA_BROKERS, replicationFactor: 1, databaseUrl: DATABASE_URL },
      accounts: 10,
      webhooksPerAccount: 3,
      capacity: p.events,
    },
    async (system) => {
      await system.startDispatcher(0);
      await system.createWebhooks();
      await system.connectPublisher();
      const publishMs = (p.events * 1000) / p.perSecond;
      // Kill moments at random over the publishing time (and a little after, while it catches up).
      const moments = Array.from({ length: p.kills }, () =>
        randomInt(1_000, Math.max(2_000, Math.round(publishMs * 1.1))),
      );
      moments.sort((a, b) => a - b);
      log(
        `${NAME}: publishing ${fmt(p.events)} events at ${fmt(p.perSecond)}/s; kills at ${moments.map((m) => fmt(m / 1000, 1)).join(', ')} s`,
      );
      const loadStart = Date.now();
      const publishing = system.publishPaced({ count: p.events, perSecond: p.perSecond });
      const faults: FaultWindow[] = [];
      for (const [i, moment] of moments.entries()) {
        const wait = loadStart + moment - Date.now();
        if (wait > 0) await sleep(wait);
        const at = Date.now();
        await system.killDispatcher(0, 'SIGKILL');
        await system.startDispatcher(0);
        faults.push({
          label: `kill ${i + 1} at ${fmt((at - loadStart) / 1000, 1)} s`,
          at,
          clearedAt: Date.now(),
        });
        log(
          `${NAME}: kill ${i + 1}/${p.kills} done (restart took ${fmt((Date.now() - at) / 1000, 1)} s); ${fmt(system.tally.delivered)}/${fmt(system.tally.expected)} pairs`,
        );
      }
      await publishing;
      await system.waitForDelivery(NAME);
      const projection = await system.compareProjection();
      const { rows, checks } = deliveryFigures(system, projection, {
        duplicatesForcedBy: `${p.kills} SIGKILLs`,
      });
      const recoveries = faults.map((f) => system.tally.recovery(f.clearedAt));
      const restartMs = faults.map((f) => f.clearedAt - f.at);
      const resumes = recoveries.map((r) => r.resumeMs).filter((x): x is number => x !== null);
      rows.push(
        ['kills', fmt(p.kills)],
        [
          'restart to /health, max / median',
          `${fmt(Math.max(...restartMs) / 1000, 1)} s / ${fmt(median(restartMs) / 1000, 1)} s`,
        ],
        [
          'first delivery after a restart, max',
          resumes.length ? `${fmt(Math.max(...resumes) / 1000, 1)} s` : 'n/a',
        ],
        [
          'longest pause in delivery',
          `${fmt(system.tally.longestPauseSeconds(loadStart, system.tally.lastArrival))} s`,
        ],
      );
      return {
        name: NAME,
        title: TITLE,
        seconds: (Date.now() - started) / 1000,
        rows,
        checks,
        notes: [`${fmt(p.events)} events at ${fmt(p.perSecond)}/s, 10 accounts × 3 webhooks`],
      };
    },
    { title: TITLE },
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export const dispatcherKills: Scenario = {
  name: NAME,
  title: TITLE,
  run: ({ scale }) => runDispatcherKills({ events: scaled(100_000, scale), perSecond: 1_000, kills: 10 }),
};
