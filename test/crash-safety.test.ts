// Crash safety on a real dispatcher process: SIGKILL at random moments loses nothing.
import { Client } from 'pg';
import {
  exampleEvent,
  type AttemptRecord,
  type DeliveryTopicRecord,
  type EventPublisher,
  type VowChatEvent,
} from '@vowchat/events';
import type { Admin, Kafka } from 'kafkajs';
import { DATABASE_URL } from './support/infra';
import { freePort } from './support/names';
import { startReceiver, type Receiver } from './support/receiver';
import {
  cleanUp,
  connectPublisher,
  createWebhook,
  dispatcherEnv,
  newSystemNames,
  spawnDispatcher,
  tailTopic,
  type SpawnedDispatcher,
  type SystemNames,
} from './support/system';
import { waitFor } from './support/wait-for';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('crash safety', () => {
  let names: SystemNames;
  let receiver: Receiver;
  let publisher: EventPublisher;
  let kafka: Kafka;
  let dispatcher: SpawnedDispatcher | undefined;
  let outcomes: { records: DeliveryTopicRecord[]; stop(): Promise<void> };
  let env: Record<string, string>;
  let port: number;
  let admin: Admin;

  beforeAll(async () => {
    names = newSystemNames();
    receiver = await startReceiver();
    ({ kafka, publisher } = await connectPublisher(names));
    admin = kafka.admin();
    await admin.connect();
    env = dispatcherEnv(names, { RETRY_SCHEDULE_MS: '2000,2000,2000', RETRY_POLL_MS: '100' });
    port = await freePort();
    dispatcher = await spawnDispatcher(env, port);
    outcomes = await tailTopic<DeliveryTopicRecord>(kafka, names.topics.deliveries);
  });

  afterAll(async () => {
    await dispatcher?.kill('SIGKILL');
    await outcomes?.stop();
    await admin?.disconnect();
    await publisher?.disconnect();
    await receiver?.close();
    await cleanUp(names);
  });

  it('a scheduled retry survives a dispatcher SIGKILL', async () => {
    const account = { id: 8001, name: 'Retry after crash' };
    const hook = await createWebhook(dispatcher!.baseUrl, account.id, receiver.url('/crash/retry'), [
      'message_created',
    ]);
    receiver.behave('/crash/retry', { kind: 'status', code: 500 });
    const published = await publisher.publish(exampleEvent('message_created', account));
    await waitFor('first attempt recorded as retrying', () =>
      outcomes.records.some(
        (r) => r.kind === 'attempt' && r.webhook_id === hook.id && r.outcome === 'retrying',
      ),
    );
    // Kill only once the record's offset is committed: then the retry store alone can bring it back.
    await waitFor('the record committed past', async () => {
      const [topic] = await admin.fetchOffsets({ groupId: names.groupId, topics: [names.topics.messages] });
      const committed = topic.partitions.find((p) => p.partition === published.partition)?.offset;
      return committed !== undefined && BigInt(committed) > BigInt(published.offset);
    });
    await dispatcher!.kill('SIGKILL');
    receiver.behave('/crash/retry', { kind: 'ok' });
    dispatcher = await spawnDispatcher(env, port);
    const delivered = await waitFor('the retry delivered by the restarted dispatcher', () =>
      outcomes.records.find(
        (r): r is AttemptRecord =>
          r.kind === 'attempt' && r.webhook_id === hook.id && r.outcome === 'delivered',
      ),
    );
    expect(delivered.attempt).toBe(2);
    const requests = receiver.requests('/crash/retry');
    expect(requests.map((r) => r.headers['webhook-id'])).toEqual([published.eventId, published.eventId]);
  });

  it('10,000 events under repeated SIGKILLs: every (event, webhook) pair delivered, Postgres agrees with the topic', async () => {
    const accounts = Array.from({ length: 10 }, (_, i) => ({ id: 8100 + i, name: `Load ${i}` }));
    const paths = ['a', 'b', 'c'];
    for (const account of accounts) {
      for (const p of paths)
        await createWebhook(dispatcher!.baseUrl, account.id, receiver.url(`/load/${account.id}/${p}`), [
          'message_created',
          'conversation_created',
        ]);
    }
    const total = 10_000;
    const eventIds: string[] = [];
    const publishing = (async () => {
      for (let start = 0; start < total; start += 500) {
        const batch: VowChatEvent[] = [];
        for (let i = start; i < Math.min(total, start + 500); i++) {
          const account = accounts[i % accounts.length];
          batch.push(
            i % 2 === 0
              ? { ...exampleEvent('message_created', account), content: `load ${i}` }
              : exampleEvent('conversation_created', account),
          );
        }
        const published = await publisher.publishMany(batch);
        eventIds.push(...published.map((p) => p.eventId));
        await sleep(50);
      }
    })();

    const kills = 3;
    for (let k = 0; k < kills; k++) {
      await sleep(1_000 + Math.floor(Math.random() * 2_000));
      await dispatcher!.kill('SIGKILL');
      dispatcher = await spawnDispatcher(env, port);
    }
    await publishing;

    const expectedPairs = total * paths.length;
    let lastProgress = Date.now();
    const received = () => {
      const pairs = new Map<string, number>();
      for (const r of receiver.requests()) {
        if (!r.path.startsWith('/load/')) continue;
        const key = `${String(r.headers['webhook-id'])} ${r.path}`;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
      return pairs;
    };
    const pairs = await waitFor(
      `all ${expectedPairs} (event, webhook) pairs delivered`,
      () => {
        const p = received();
        if (Date.now() - lastProgress > 5_000) {
          lastProgress = Date.now();
          process.stdout.write(`crash-safety: ${p.size}/${expectedPairs} pairs delivered\n`);
        }
        return p.size >= expectedPairs ? p : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    const ids = new Set(eventIds);
    for (const key of pairs.keys()) expect(ids.has(key.split(' ')[0])).toBe(true);
    expect(pairs.size).toBe(expectedPairs);
    const duplicates = [...pairs.values()].reduce((sum, n) => sum + n - 1, 0);
    process.stdout.write(
      JSON.stringify({
        test: 'crash-safety',
        events: total,
        pairs: expectedPairs,
        kills,
        requests: expectedPairs + duplicates,
        duplicates,
      }) + '\n',
    );

    // Postgres is a projection of the delivery topic: the same attempts, once each.
    const db = new Client({ connectionString: DATABASE_URL });
    await db.connect();
    try {
      const topicAttempts = () =>
        new Set(outcomes.records.filter((r) => r.kind === 'attempt').map((r) => r.attempt_id));
      await waitFor(
        'Postgres to hold every attempt on the topic',
        async () => {
          const { rows } = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM "${names.schema}".delivery_attempts`,
          );
          return rows[0].n === topicAttempts().size && rows[0].n >= expectedPairs;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      const { rows } = await db.query<{ attempt_id: string }>(
        `SELECT attempt_id FROM "${names.schema}".delivery_attempts`,
      );
      expect(new Set(rows.map((r) => r.attempt_id))).toEqual(topicAttempts());
      const delivered = await db.query<{ n: number }>(
        `SELECT count(DISTINCT delivery_id)::int AS n FROM "${names.schema}".delivery_attempts WHERE outcome = 'delivered'`,
      );
      expect(delivered.rows[0].n).toBeGreaterThanOrEqual(expectedPairs);
    } finally {
      await db.end();
    }
  }, 360_000);
});
