// Three dispatcher instances sharing the work, members leaving (SIGTERM) and joining under load,
// and one SIGKILLed while the retry store holds leased rows (slot 1 of every account answers 500
// for the first part of the run, so retries are due and leased all the time).
import { Client } from 'pg';
import { DATABASE_URL, KAFKA_BROKERS } from '../../test/support/infra';
import { fmt, sleep, type ChaosSystem } from '../chaos-system';
import { log } from '../progress';
import { deliveryFigures, type Scenario, type ScenarioResult } from '../result';
import { scaled, withSystem } from './common';

export interface ChurnParams {
  events: number;
  perSecond: number;
}

const NAME = 'churn';
const TITLE = 'three instances, members leaving and joining under load, one SIGKILLed holding leased retries';

async function leasedRetries(system: ChaosSystem): Promise<number> {
  const client = new Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${system.names.schema}".scheduled_retries WHERE leased_until > now()`,
    );
    return rows[0].n;
  } finally {
    await client.end();
  }
}

export async function runChurn(p: ChurnParams): Promise<ScenarioResult> {
  const started = Date.now();
  return withSystem(
    {
      scenario: NAME,
      infra: { brokers: KAFKA_BROKERS, replicationFactor: 1, databaseUrl: DATABASE_URL },
      accounts: 10,
      webhooksPerAccount: 2,
      capacity: p.events,
    },
    async (system) => {
      // All three start at once on the empty schema: they migrate one at a time (an advisory lock).
      await Promise.all([0, 1, 2].map((i) => system.startDispatcher(i)));
      await system.createWebhooks();
      await system.connectPublisher();
      system.behaveSlot(1, { kind: 'status', code: 500 });
      const publishMs = (p.events * 1000) / p.perSecond;
      const step = publishMs / 8;
      log(
        `${NAME}: publishing ${fmt(p.events)} events at ${fmt(p.perSecond)}/s over 3 instances; slot 1 answers 500`,
      );
      const loadStart = Date.now();
      const publishing = system.publishPaced({ count: p.events, perSecond: p.perSecond });
      const timeline: string[] = [];
      const at = (n: number) => sleep(Math.max(0, loadStart + n * step - Date.now()));
      const note = (what: string) => {
        timeline.push(`${fmt((Date.now() - loadStart) / 1000, 1)} s ${what}`);
        log(`${NAME}: ${what}`);
      };
      await at(1);
      await system.killDispatcher(2, 'SIGTERM');
      note('instance 3 left (SIGTERM)');
      await at(2);
      await system.startDispatcher(2);
      note('instance 3 joined again');
      // Kill once rows are leased (there are retries due all the time while slot 1 fails).
      await at(3);
      let leased = 0;
      const deadline = Date.now() + 20_000;
      while ((leased = await leasedRetries(system)) === 0 && Date.now() < deadline) await sleep(100);
      await system.killDispatcher(1, 'SIGKILL');
      note(`instance 2 SIGKILLed with ${leased} retries leased in the store`);
      await at(4);
      system.behaveSlot(1, { kind: 'ok' });
      note('slot 1 answers 200 again');
      await system.startDispatcher(1);
      note('instance 2 started again');
      await at(5);
      await system.startDispatcher(3);
      note('instance 4 joined');
      await at(7);
      await system.killDispatcher(3, 'SIGTERM');
      note('instance 4 left (SIGTERM)');
      await publishing;
      await system.waitForDelivery(NAME);
      const projection = await system.compareProjection();
      const { rows, checks } = deliveryFigures(system, projection, { duplicatesForcedBy: 'the SIGKILL' });
      rows.push(
        ['retries leased when an instance was killed', fmt(leased)],
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
        notes: [`${fmt(p.events)} events at ${fmt(p.perSecond)}/s, 10 accounts × 2 webhooks`, ...timeline],
      };
    },
    { title: TITLE },
  );
}

export const churn: Scenario = {
  name: NAME,
  title: TITLE,
  run: ({ scale }) => runChurn({ events: scaled(40_000, scale), perSecond: 500 }),
};
