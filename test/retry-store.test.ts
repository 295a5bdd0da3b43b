// The durable retry store on the real Postgres: leases are bounded in rows and in body bytes, so a
// backlog of large events cannot flood the dispatcher's heap when it comes due; a poller renews the
// leases of jobs still waiting in its lanes, so no other instance takes the same attempt meanwhile.
import type { DataSource } from 'typeorm';
import { newEventId } from '@vowchat/events';
import { JsonLogger } from '@vowchat/platform';
import { createDataSource, migrate } from '../apps/dispatcher/src/database/data-source';
import { deliveryIdOf, type DeliveryJob } from '../apps/dispatcher/src/delivery/delivery-job';
import { RetryPoller } from '../apps/dispatcher/src/retry/retry-poller';
import { RetryStore } from '../apps/dispatcher/src/retry/retry-store';
import { systemClock } from '../apps/dispatcher/src/tokens';
import { DATABASE_URL, dropSchema, newSchemaName } from './support/infra';
import { waitFor } from './support/wait-for';

describe('RetryStore leases', () => {
  const schema = newSchemaName();
  let dataSource: DataSource;
  let store: RetryStore;

  const job = (bytes: number): DeliveryJob => {
    const eventId = newEventId();
    const webhookId = '0190d6c2-0000-7000-8000-00000000aaaa';
    return {
      deliveryId: deliveryIdOf(eventId, webhookId),
      eventId,
      eventType: 'message_created',
      accountId: 11,
      webhookId,
      body: 'x'.repeat(bytes),
      attempt: 2,
      source: 'retry',
      publishedAt: null,
      routedAt: null,
    };
  };

  beforeAll(async () => {
    dataSource = createDataSource({ url: DATABASE_URL, schema });
    await dataSource.initialize();
    await migrate(dataSource, schema);
    store = new RetryStore(dataSource);
  });

  beforeEach(async () => {
    await dataSource.query(`DELETE FROM scheduled_retries`);
  });

  afterAll(async () => {
    await store?.close();
    if (dataSource?.isInitialized) await dataSource.destroy();
    await dropSchema(schema);
  });

  it('leases due rows in due order up to the byte budget, always at least one, and never twice', async () => {
    const due = new Date(Date.now() - 60_000);
    const jobs = [job(400_000), job(400_000), job(400_000), job(10), job(10)];
    for (const [i, j] of jobs.entries()) await store.schedule(j, new Date(due.getTime() + i));
    const now = new Date();

    const first = await store.leaseDue(now, 100, 15_000, 900_000);
    expect(first.map((j) => j.deliveryId)).toEqual(jobs.slice(0, 3).map((j) => j.deliveryId)); // 0 + 400k + 800k < 900k

    const second = await store.leaseDue(now, 100, 15_000, 1);
    expect(second.map((j) => j.deliveryId)).toEqual([jobs[3].deliveryId]); // one, however small the budget

    const rest = await store.leaseDue(now, 100, 15_000);
    expect(rest.map((j) => j.deliveryId)).toEqual([jobs[4].deliveryId]);
    expect(await store.leaseDue(now, 100, 15_000)).toEqual([]);
    expect(first[0].body).toHaveLength(400_000);
  });

  it('removes, instead of leasing, a due row whose attempt already has a final outcome; a redelivery stays', async () => {
    const now = new Date();
    const [delivered, redelivered, retrying] = [job(10), job(10), job(10)];
    for (const j of [delivered, redelivered, retrying]) await store.schedule(j, now);
    // What the projection holds: attempt 2 delivered (the row is a dead instance's leftover),
    // attempt 2 failed (the row, attempt 3, is a redelivery), attempt 1 retrying (the row is attempt 2's).
    const deliveriesRow = (j: DeliveryJob, outcome: string, attempts: number) =>
      dataSource.query(
        `INSERT INTO deliveries (delivery_id, event_id, webhook_id, account_id, event_type, outcome, attempts,
           first_attempt_at, last_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now())`,
        [j.deliveryId, j.eventId, j.webhookId, j.accountId, j.eventType, outcome, attempts],
      );
    await deliveriesRow(delivered, 'delivered', 2);
    await deliveriesRow(redelivered, 'failed', 2);
    await store.schedule({ ...redelivered, attempt: 3 }, now);
    await deliveriesRow(retrying, 'retrying', 1);

    const leased = await store.leaseDue(now, 100, 15_000);
    expect(leased.map((j) => [j.deliveryId, j.attempt]).sort()).toEqual(
      [
        [redelivered.deliveryId, 3],
        [retrying.deliveryId, 2],
      ].sort(),
    );
    expect(await store.count()).toBe(2);
  });

  it('renews only leases still held: same attempt, not lapsed, not rescheduled or completed', async () => {
    const [a, b, c, d] = [job(10), job(10), job(10), job(10)];
    const due = new Date(Date.now() - 60_000);
    await Promise.all([a, b, c, d].map((j) => store.schedule(j, due)));
    const t = Date.now();
    expect(await store.leaseDue(new Date(t), 100, 1_000)).toHaveLength(4); // leased until t + 1 s
    await store.schedule({ ...b, attempt: 3 }, new Date(t + 60_000)); // its outcome: a next attempt
    await store.complete(c.deliveryId, 2); // its outcome: final

    const held = (...jobs: DeliveryJob[]) =>
      jobs.map((j) => ({ deliveryId: j.deliveryId, attempt: j.attempt }));
    expect(await store.renewLeases(held(a, b, c), new Date(t + 500), new Date(t + 1_500))).toEqual([
      a.deliveryId,
    ]);
    // At t + 1.2 s d's lease has lapsed (another poller may take it): only a's is extended.
    expect(await store.renewLeases(held(a, d), new Date(t + 1_200), new Date(t + 2_200))).toEqual([
      a.deliveryId,
    ]);

    const other = await store.leaseDue(new Date(t + 1_300), 100, 1_000);
    expect(other.map((j) => j.deliveryId)).toEqual([d.deliveryId]);
    expect(await store.leaseDue(new Date(t + 2_250), 100, 1_000)).toEqual([
      expect.objectContaining({ deliveryId: a.deliveryId, attempt: 2 }),
    ]);
  });

  it('skips, without waiting, a row whose outcome is being written', async () => {
    const [a, b] = [job(10), job(10)];
    await Promise.all([a, b].map((j) => store.schedule(j, new Date(Date.now() - 60_000))));
    const t = Date.now();
    await store.leaseDue(new Date(t), 100, 60_000);
    const writer = dataSource.createQueryRunner();
    await writer.connect();
    await writer.startTransaction();
    try {
      await writer.query(`DELETE FROM scheduled_retries WHERE delivery_id = $1`, [a.deliveryId]);
      const held = [a, b].map((j) => ({ deliveryId: j.deliveryId, attempt: j.attempt }));
      expect(await store.renewLeases(held, new Date(t + 10), new Date(t + 60_010))).toEqual([b.deliveryId]);
    } finally {
      await writer.rollbackTransaction();
      await writer.release();
    }
  });

  it("keeps a waiting job's row from a second instance while its poller renews, and lets it go after stop()", async () => {
    const leaseMs = 1_500;
    const log = new JsonLogger('test', 'error');
    const settings = { pollMs: 50, batch: 100, leaseMs, maxQueued: 100, maxQueuedBytes: 1_000_000 };
    // Instance B: its own connection pool and store; it records what it leases and when it polled.
    const dataSourceB = createDataSource({ url: DATABASE_URL, schema });
    await dataSourceB.initialize();
    const storeB = new RetryStore(dataSourceB);
    const polledB: number[] = [];
    const leasedB: DeliveryJob[] = [];
    const pollerB = new RetryPoller({
      store: {
        leaseDue: async (...args) => {
          const jobs = await storeB.leaseDue(...args);
          polledB.push(args[0].getTime());
          return jobs;
        },
        renewLeases: (...args) => storeB.renewLeases(...args),
      },
      submit: (j) => leasedB.push(j), // never durable: B holds what it takes
      queued: () => 0,
      queuedBytes: () => 0,
      clock: systemClock,
      log,
      settings,
    });
    // Instance A: its job waits in a lane (its `durable` never fires) well past the first lease.
    const leasedA: DeliveryJob[] = [];
    const pollerA = new RetryPoller({
      store,
      submit: (j) => leasedA.push(j),
      queued: () => 0,
      queuedBytes: () => 0,
      clock: systemClock,
      log,
      settings,
    });
    const waiting = job(10);
    await store.schedule(waiting, new Date(Date.now() - 1_000));
    try {
      pollerA.start();
      const leasedAt = Date.now();
      await waitFor('A to lease the row', () => leasedA.some((j) => j.deliveryId === waiting.deliveryId));
      const firstLeaseEnds = leasedAt + leaseMs;

      pollerB.start();
      // B polls on until a poll starts a whole lease after A's first lease would have ended.
      await waitFor("B to poll well after A's first lease", () =>
        polledB.some((at) => at > firstLeaseEnds + leaseMs),
      );
      expect(leasedB.map((j) => j.deliveryId)).not.toContain(waiting.deliveryId);

      await pollerA.stop();
      const taken = await waitFor('B to lease the row once A stopped renewing', () =>
        leasedB.find((j) => j.deliveryId === waiting.deliveryId),
      );
      expect(taken.attempt).toBe(waiting.attempt);
      expect(leasedA.filter((j) => j.deliveryId === waiting.deliveryId)).toHaveLength(1);
    } finally {
      await pollerA.stop();
      await pollerB.stop();
      await storeB.close();
      await dataSourceB.destroy();
    }
  });
});
