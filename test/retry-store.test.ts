// The durable retry store on the real Postgres: leases are bounded in rows and in body bytes, so a
// backlog of large events cannot flood the dispatcher's heap when it comes due.
import type { DataSource } from 'typeorm';
import { newEventId } from '@vowchat/events';
import { createDataSource, migrate } from '../apps/dispatcher/src/database/data-source';
import { deliveryIdOf, type DeliveryJob } from '../apps/dispatcher/src/delivery/delivery-job';
import { RetryStore } from '../apps/dispatcher/src/retry/retry-store';
import { DATABASE_URL, dropSchema, newSchemaName } from './support/infra';

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
});
