// The whole single broker SIGKILLed under load and started again, with events coming in through
// the producer's HTTP API: while Kafka is down the API answers 503 (and readiness says so), and
// every event it answered 202 for is delivered afterwards.
import { startCluster } from '../../test/support/kafka-cluster';
import { DATABASE_URL } from '../../test/support/infra';
import { fmt, sleep } from '../chaos-system';
import { log } from '../progress';
import { deliveryFigures, type Scenario, type ScenarioResult } from '../result';
import { scaled, untilCount, withSystem } from './common';

export interface BrokerRestartParams {
  events: number;
  perSecond: number;
  downMs: number;
}

const NAME = 'broker-restart';
const TITLE = 'the single broker SIGKILLed under load (HTTP producer), then started again';

export async function runBrokerRestart(p: BrokerRestartParams): Promise<ScenarioResult> {
  const started = Date.now();
  log(`${NAME}: starting a 1-broker cluster`);
  const cluster = await startCluster({ brokers: 1 });
  try {
    return await withSystem(
      {
        scenario: NAME,
        infra: { brokers: cluster.bootstrap, replicationFactor: 1, databaseUrl: DATABASE_URL },
        accounts: 10,
        webhooksPerAccount: 2,
        capacity: p.events,
      },
      async (system) => {
        await system.startDispatcher(0);
        await system.createWebhooks();
        await system.startProducer();
        log(`${NAME}: publishing ${fmt(p.events)} events over HTTP at ${fmt(p.perSecond)}/s`);
        const publishing = system.publishPaced({ count: p.events, perSecond: p.perSecond, via: 'http' });
        await untilCount(() => system.tally.acked, Math.floor(p.events / 3));
        const producerReady: number[] = [];
        let watching = true;
        const watch = (async () => {
          while (watching) {
            try {
              const r = await fetch(`${system.producer!.url}/health/ready`, {
                signal: AbortSignal.timeout(3_000),
              });
              await r.text();
              producerReady.push(r.status);
            } catch {
              producerReady.push(0);
            }
            await sleep(1_000);
          }
        })();
        log(`${NAME}: SIGKILL the broker`);
        const at = Date.now();
        await cluster.kill(1, 'SIGKILL');
        await sleep(p.downMs);
        log(`${NAME}: starting the broker again`);
        await cluster.restart(1);
        const clearedAt = Date.now();
        watching = false;
        await watch;
        await publishing;
        await system.waitForDelivery(NAME);
        const projection = await system.compareProjection();
        const { rows, checks } = deliveryFigures(system, projection, {
          faults: [{ label: 'broker down', at, clearedAt }],
          duplicatesForcedBy: "the broker's SIGKILL",
        });
        const notReady = producerReady.filter((s) => s === 503).length;
        // Answers given while the broker was down (from 1 s after the kill: requests Kafka
        // acknowledged just before it may still be answering).
        const whileDown = system.httpAnswers.filter((a) => a.at >= at + 1_000 && a.at < clearedAt);
        const refusedWhileDown = whileDown.filter((a) => a.status === 503).length;
        const ackedWhileDown = whileDown.filter((a) => a.status === 202).length;
        const otherWhileDown = whileDown.length - refusedWhileDown - ackedWhileDown;
        rows.push(
          [
            'producer answers while the broker was down: 503 / 202 / other',
            `${fmt(refusedWhileDown)} / ${fmt(ackedWhileDown)} / ${fmt(otherWhileDown)}`,
          ],
          [
            'producer /health/ready while down: 503 / probes',
            `${fmt(notReady)} / ${fmt(producerReady.length)}`,
          ],
        );
        checks.push({
          target: 'the producer answers 503 while Kafka is down (readiness too)',
          ok: refusedWhileDown > 0 && ackedWhileDown === 0 && notReady > 0,
          detail: `${fmt(refusedWhileDown)} answered 503, ${fmt(ackedWhileDown)} answered 202, readiness 503 on ${notReady}/${producerReady.length} probes`,
        });
        return {
          name: NAME,
          title: TITLE,
          seconds: (Date.now() - started) / 1000,
          rows,
          checks,
          notes: [
            `${fmt(p.events)} events at ${fmt(p.perSecond)}/s over HTTP batches, 10 accounts × 2 webhooks`,
          ],
        };
      },
      { title: TITLE },
    );
  } finally {
    await cluster.stop();
  }
}

export const brokerRestart: Scenario = {
  name: NAME,
  title: TITLE,
  run: ({ scale }) =>
    runBrokerRestart({
      events: scaled(20_000, scale),
      perSecond: 400,
      downMs: Math.max(3_000, 15_000 * Math.min(1, scale)),
    }),
};
