// Postgres crash-stopped (`pg_ctl -m immediate`) for a minute under load and started again, on a
// disposable cluster. Slot 0 of every account is a healthy endpoint; slot 1 answers 503 until the
// middle of the outage and then recovers, so it needs the retry store while Postgres is down.
// Delivery to healthy endpoints should go on (or pause cleanly), the recovered endpoint should be
// probed without waiting for Postgres, readiness should report the outage, and the retry store and
// the projection should catch up afterwards.
import { startDisposablePostgres } from '../../test/support/disposable-postgres';
import { KAFKA_BROKERS } from '../../test/support/infra';
import { fmt, sleep } from '../chaos-system';
import { log } from '../progress';
import { deliveryFigures, type Scenario, type ScenarioResult } from '../result';
import { withSystem } from './common';

export interface PostgresOutageParams {
  perSecond: number;
  beforeMs: number;
  outageMs: number;
  afterMs: number;
}

const NAME = 'postgres-outage';
const TITLE = 'Postgres stopped (immediate) under load, then started again';

export async function runPostgresOutage(p: PostgresOutageParams): Promise<ScenarioResult> {
  const started = Date.now();
  const pg = await startDisposablePostgres();
  const events = Math.round((p.perSecond * (p.beforeMs + p.outageMs + p.afterMs)) / 1000);
  try {
    return await withSystem(
      {
        scenario: NAME,
        infra: { brokers: KAFKA_BROKERS, replicationFactor: 1, databaseUrl: pg.url },
        accounts: 10,
        webhooksPerAccount: 2,
        capacity: events,
        keepSlotArrivals: true,
      },
      async (system) => {
        await system.startDispatcher(0);
        await system.createWebhooks();
        await system.connectPublisher();
        system.behaveSlot(1, { kind: 'status', code: 503 });
        system.watchReadiness(0, 1_000);
        log(`${NAME}: publishing ${fmt(events)} events at ${fmt(p.perSecond)}/s; slot 1 answers 503`);
        const publishing = system.publishPaced({ count: events, perSecond: p.perSecond });
        await sleep(p.beforeMs);
        log(`${NAME}: stopping Postgres (-m immediate) for ${fmt(p.outageMs / 1000)} s`);
        const at = Date.now();
        await pg.stop();
        await sleep(p.outageMs / 2);
        const recoveredAt = Date.now();
        log(`${NAME}: slot 1 recovers (answers 200) while Postgres is still down`);
        system.behaveSlot(1, { kind: 'ok' });
        await sleep(p.outageMs / 2);
        log(`${NAME}: starting Postgres again`);
        await pg.start();
        const clearedAt = Date.now();
        const dispatcherAlive = system.dispatchers[0]?.child.exitCode === null;
        await publishing;
        await system.waitForDelivery(NAME);
        await sleep(2_000);
        system.stopWatchingReadiness();
        const projection = await system.compareProjection();
        const { rows, checks } = deliveryFigures(system, projection, {
          faults: [{ label: 'Postgres down', at, clearedAt }],
        });
        const t = system.tally;
        // Healthy endpoint: slot-0 pairs of events acknowledged during the outage, delivered during it.
        let ackedDuring = 0;
        for (let seq = 0; seq < t.capacity; seq++)
          if (t.ackedAt[seq] >= at && t.ackedAt[seq] < clearedAt) ackedDuring++;
        const healthyDuring = t.slotArrivals[0].filter((x) => x >= at && x < clearedAt).length;
        const slot1After = t.slotArrivals[1].find((x) => x >= recoveredAt);
        const probeDelayMs = slot1After === undefined ? null : slot1After - recoveredAt;
        const during = system.readiness.filter((r) => r.at >= at && r.at < clearedAt);
        const notReady = during.filter((r) => r.status !== 200);
        const failingChecks = [...new Set(notReady.flatMap((r) => r.failing))].join(', ') || 'none';
        const firstNotReady = notReady[0];
        const readyAgain = system.readiness.find((r) => r.at >= clearedAt && r.status === 200);
        rows.push(
          [
            'healthy endpoints: pairs delivered during the outage / events acknowledged during it',
            `${fmt(healthyDuring)} / ${fmt(ackedDuring)}`,
          ],
          [
            'recovered endpoint (slot 1): first delivery after it recovered',
            probeDelayMs === null
              ? 'never'
              : `${fmt(probeDelayMs / 1000, 1)} s (Postgres back ${fmt((clearedAt - recoveredAt) / 1000, 1)} s after it recovered)`,
          ],
          [
            'readiness during the outage: not ready / probes',
            `${fmt(notReady.length)} / ${fmt(during.length)} (failing: ${failingChecks})`,
          ],
          [
            'readiness: first 503 after the stop / ready again after the start',
            `${firstNotReady ? `${fmt((firstNotReady.at - at) / 1000, 1)} s` : 'never'} / ${readyAgain ? `${fmt((readyAgain.at - clearedAt) / 1000, 1)} s` : 'never'}`,
          ],
          ['dispatcher still running after the outage', dispatcherAlive ? 'yes' : 'no'],
        );
        checks.push(
          {
            target: 'the dispatcher survives the outage',
            ok: dispatcherAlive,
            detail: dispatcherAlive ? 'running' : 'exited',
          },
          {
            target: 'healthy endpoints keep receiving fresh events during the outage (≥ 50 % of them)',
            ok: ackedDuring === 0 || healthyDuring >= ackedDuring * 0.5,
            detail: `${fmt(healthyDuring)} of ${fmt(ackedDuring)}`,
          },
          {
            target: 'an endpoint that recovers during the outage is delivered to within 15 s',
            ok: probeDelayMs !== null && probeDelayMs <= 15_000,
            detail: probeDelayMs === null ? 'never' : `${fmt(probeDelayMs / 1000, 1)} s`,
          },
          {
            target: 'readiness reports the outage (503 naming the database)',
            ok:
              notReady.length > 0 &&
              notReady.some((r) => r.failing.some((f) => /database|postgres/i.test(f))),
            detail: `${notReady.length} of ${during.length} probes not ready; failing: ${failingChecks}`,
          },
          {
            target: 'the retry store drains',
            ok: projection.retriesLeft === 0,
            detail: `${fmt(projection.retriesLeft)} rows left`,
          },
        );
        return {
          name: NAME,
          title: TITLE,
          seconds: (Date.now() - started) / 1000,
          rows,
          checks,
          notes: [
            `${fmt(events)} events at ${fmt(p.perSecond)}/s; Postgres down ${fmt(p.outageMs / 1000)} s after ${fmt(p.beforeMs / 1000)} s; 10 accounts × 2 webhooks (slot 1 answers 503 until mid-outage)`,
          ],
        };
      },
      { title: TITLE },
    );
  } finally {
    await pg.destroy();
  }
}

export const postgresOutage: Scenario = {
  name: NAME,
  title: TITLE,
  run: ({ scale }) =>
    runPostgresOutage({
      perSecond: 200,
      beforeMs: 15_000,
      outageMs: Math.max(5_000, 60_000 * Math.min(1, scale)),
      afterMs: 20_000,
    }),
};
