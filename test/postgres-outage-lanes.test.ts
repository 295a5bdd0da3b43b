// Issue 13: no endpoint lane waits on Postgres while its endpoint is healthy. Postgres (a disposable
// cluster) is crash-stopped under load while one webhook of every account answers 503, so every
// attempt at it ends in a retry row or a breaker deferral that cannot be written. The endpoint then
// recovers with Postgres still down: it must get requests within 15 s (its lane's slots are not held
// by those writes), and once Postgres is back every pair is delivered and the retry store drains.
import { setProgressSink } from '../chaos/progress';
import { ChaosSystem } from '../chaos/chaos-system';
import { snapshotDist } from '../chaos/dist-snapshot';
import { startDisposablePostgres, type DisposablePostgres } from './support/disposable-postgres';
import { progressToTestLog } from './support/chaos-targets';
import { KAFKA_BROKERS } from './support/infra';
import { waitFor } from './support/wait-for';

const FAILING_SLOT = 1;
const PROBE_BOUND_MS = 15_000;
const ACCOUNTS = 4;

describe('endpoint lanes during a Postgres outage', () => {
  let restoreSink: (line: string) => void;
  let removeSnapshot: () => void;
  let pg: DisposablePostgres | undefined;
  let system: ChaosSystem | undefined;

  beforeAll(() => {
    restoreSink = setProgressSink(progressToTestLog());
    // Others may rebuild dist/ meanwhile: the dispatcher runs from a copy.
    removeSnapshot = snapshotDist();
  });
  afterAll(async () => {
    await system?.cleanUp().catch(() => undefined);
    await pg?.destroy();
    removeSnapshot();
    setProgressSink(restoreSink);
  });

  it('probes an endpoint that recovers while Postgres is down within 15 s; nothing is lost once it is back', async () => {
    pg = await startDisposablePostgres();
    system = new ChaosSystem({
      scenario: 'pg-outage-lanes',
      infra: { brokers: KAFKA_BROKERS, replicationFactor: 1, databaseUrl: pg.url },
      accounts: ACCOUNTS,
      webhooksPerAccount: 2,
      capacity: 4_000,
      keepSlotArrivals: true,
    });
    const s = system;
    const arrivals = s.tally.slotArrivals[FAILING_SLOT];
    await s.prepare();
    await s.startDispatcher(0);
    await s.createWebhooks();
    await s.connectPublisher();
    s.behaveSlot(FAILING_SLOT, { kind: 'status', code: 503 });
    let stopPublishing = false;
    const publishing = s.publishPaced({ count: 4_000, perSecond: 50, stop: () => stopPublishing });
    await waitFor('events acknowledged before the outage', () => s.tally.acked >= 100, { timeoutMs: 30_000 });

    await pg.stop();
    const stoppedAt = Date.now();
    // Every job for a failing endpoint now ends in a retry or deferral Postgres cannot take. Before
    // issue 13 ten of them held that lane's ten slots: let 30 per failing endpoint arrive.
    const ackedSinceStop = () => s.tally.ackedAt.filter((at) => at >= stoppedAt).length;
    await waitFor('events acknowledged during the outage', () => ackedSinceStop() >= 30 * ACCOUNTS, {
      timeoutMs: 30_000,
    });
    const recoveredAt = Date.now();
    s.behaveSlot(FAILING_SLOT, { kind: 'ok' });
    const probedAt = await waitFor(
      'a request to the recovered endpoint while Postgres is down',
      () => arrivals.find((at) => at >= recoveredAt),
      { timeoutMs: PROBE_BOUND_MS, intervalMs: 100 },
    );
    expect(pg.isRunning()).toBe(false);
    expect(probedAt - recoveredAt).toBeLessThanOrEqual(PROBE_BOUND_MS);
    expect(s.dispatchers[0]?.child.exitCode).toBeNull();

    await pg.start();
    stopPublishing = true;
    await publishing;
    expect(await s.waitForDelivery('pg-outage-lanes', { deadlineMs: 120_000, stallMs: 60_000 })).toBe(true);
    expect(s.tally.missing).toBe(0);
    const projection = await s.compareProjection(60_000);
    expect({ equal: projection.equal, retriesLeft: projection.retriesLeft }).toEqual({
      equal: true,
      retriesLeft: 0,
    });
  }, 240_000);
});
