// Every endpoint down (connections refused) for a minute under load, then back: breakers open,
// deliveries wait in the retry store (deferrals are not attempts), and everything arrives after.
import { DATABASE_URL, KAFKA_BROKERS } from '../../test/support/infra';
import { fmt, sleep } from '../chaos-system';
import { log } from '../progress';
import { deliveryFigures, type Scenario, type ScenarioResult } from '../result';
import { withSystem } from './common';

export interface ReceiverDownParams {
  perSecond: number;
  beforeMs: number;
  downMs: number;
  afterMs: number;
}

const NAME = 'receiver-down';
const TITLE = 'the receiver down (connections refused), then back';

export async function runReceiverDown(p: ReceiverDownParams): Promise<ScenarioResult> {
  const started = Date.now();
  const events = Math.round((p.perSecond * (p.beforeMs + p.downMs + p.afterMs)) / 1000);
  return withSystem(
    {
      scenario: NAME,
      infra: { brokers: KAFKA_BROKERS, replicationFactor: 1, databaseUrl: DATABASE_URL },
      accounts: 10,
      webhooksPerAccount: 2,
      capacity: events,
    },
    async (system) => {
      await system.startDispatcher(0);
      await system.createWebhooks();
      await system.connectPublisher();
      log(`${NAME}: publishing ${fmt(events)} events at ${fmt(p.perSecond)}/s`);
      const publishing = system.publishPaced({ count: events, perSecond: p.perSecond });
      await sleep(p.beforeMs);
      log(`${NAME}: receiver down for ${fmt(p.downMs / 1000)} s`);
      const at = Date.now();
      await system.receiverProxy.cut();
      await sleep(p.downMs);
      await system.receiverProxy.restore();
      const clearedAt = Date.now();
      log(`${NAME}: receiver back`);
      await publishing;
      await system.waitForDelivery(NAME);
      const projection = await system.compareProjection();
      const { rows, checks } = deliveryFigures(system, projection, {
        faults: [{ label: 'receiver down', at, clearedAt }],
      });
      return {
        name: NAME,
        title: TITLE,
        seconds: (Date.now() - started) / 1000,
        rows,
        checks,
        notes: [
          `${fmt(events)} events at ${fmt(p.perSecond)}/s, receiver down ${fmt(p.downMs / 1000)} s, 10 accounts × 2 webhooks`,
        ],
      };
    },
    { title: TITLE },
  );
}

export const receiverDown: Scenario = {
  name: NAME,
  title: TITLE,
  run: ({ scale }) =>
    runReceiverDown({
      perSecond: 300,
      beforeMs: 10_000,
      downMs: Math.max(5_000, 60_000 * Math.min(1, scale)),
      afterMs: 20_000,
    }),
};
