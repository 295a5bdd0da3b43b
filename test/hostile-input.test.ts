// Issue 8's scenario on a real dispatcher process and the real broker: thousands of hostile records
// (garbage, empty and null values, null keys, ~900 kB and near-limit values, wrong shapes, invalid
// UTF-8, huge headers and keys) interleaved with valid events, produced by a plain Kafka client.
// Every hostile record is dead-lettered exactly once, every valid event delivered, the consumer
// lag returns to zero, memory stays within budget, the log does not flood, and a restart finds
// nothing left to redo.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import {
  exampleEvent,
  newEventId,
  toEventMessage,
  type DeadLetter,
  type EventPublisher,
  type EventType,
} from '@vowchat/events';
import { rssMb } from './support/process-stats';
import { freePort, uniqueName } from './support/names';
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

const ACCOUNTS = [9101, 9102, 9103, 9104, 9105, 9106];
const VALID_EVENTS = 100;
const HOSTILE_PER_VALID = 12; // 1,200 hostile records
const RSS_BUDGET_MB = 300;

/** A small deterministic generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x * 1_664_525 + 1_013_904_223) >>> 0;
    return x / 2 ** 32;
  };
}

interface Produced {
  topic: string;
  message: Message;
  hostile: boolean;
}

const TOPIC_OF: Record<string, keyof SystemNames['topics']> = {
  message_created: 'messages',
  conversation_created: 'conversations',
  conversation_typing_on: 'typing',
};

/** The records of the scenario, in production order. */
function scenario(names: SystemNames): Produced[] {
  const random = prng(8);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const topics = [names.topics.messages, names.topics.conversations, names.topics.typing];
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const valid = (account: number): Produced => {
    const type = pick(['message_created', 'conversation_created', 'conversation_typing_on'] as EventType[]);
    const event = exampleEvent(type, { id: account, name: `Hostile ${account}` });
    return {
      topic: names.topics[TOPIC_OF[type]],
      message: toEventMessage(event, newEventId()),
      hostile: false,
    };
  };
  const validJson = (account: number) =>
    Buffer.from(JSON.stringify(exampleEvent('message_created', { id: account, name: 'x' })));
  const hostile = (i: number): Produced => {
    const account = pick(ACCOUNTS);
    const key = String(account);
    const topic = pick(topics);
    const kinds: (() => Message)[] = [
      () => ({ key, value: bytes(1 + Math.floor(random() * 200)) }), // binary garbage
      () => ({ key, value: Buffer.alloc(0) }), // empty
      () => ({ key, value: null }), // tombstone
      () => ({ key: null, value: Buffer.from('{"event":"message_created"}') }), // null key, wrong shape
      () => ({
        key,
        value: Buffer.from(pick(['[]', '"text"', '42', 'null', '{}', '{"event":"nope","account":{"id":1}}'])),
      }),
      () => {
        const json = validJson(account);
        const at = json.indexOf(Buffer.from('Hi, I need'));
        return {
          key,
          value: Buffer.concat([json.subarray(0, at), Buffer.from([0xc3, 0x28]), json.subarray(at)]),
        };
      }, // invalid UTF-8 inside a string
      () => ({ key, value: Buffer.from('not json'), headers: { big: 'h'.repeat(60_000) } }), // large header
      () => ({ key: String(account + 1), value: validJson(account) }), // key mismatch
      () => ({ key: 'k'.repeat(30_000), value: bytes(50) }), // huge key
      () => ({
        key,
        value: Buffer.from(`{"event":"message_created","deep":${'['.repeat(5_000)}${']'.repeat(5_000)}}`),
      }),
    ];
    // Every 100th hostile record is large: ~900 kB binary (its base64 would pass the limit) or
    // text just under the broker's limit.
    if (i % 100 === 50) return { topic, message: { key, value: bytes(900_000) }, hostile: true };
    if (i % 100 === 99)
      return { topic, message: { key, value: Buffer.alloc(1_047_000, 0x61) }, hostile: true };
    return { topic, message: kinds[i % kinds.length](), hostile: true };
  };
  const records: Produced[] = [];
  let h = 0;
  for (let v = 0; v < VALID_EVENTS; v++) {
    for (let k = 0; k < HOSTILE_PER_VALID; k++) records.push(hostile(h++));
    records.push(valid(ACCOUNTS[v % ACCOUNTS.length]));
  }
  return records;
}

/** Produces in order, batching small records and sending large ones alone (the broker's limit). */
async function produceAll(producer: Producer, records: Produced[]): Promise<void> {
  let batch: Produced[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const r of batch) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r.message]);
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
    batch = [];
    bytes = 0;
  };
  for (const record of records) {
    const size =
      (record.message.value?.length ?? 0) +
      JSON.stringify(record.message.headers ?? {}).length +
      String(record.message.key ?? '').length;
    if (bytes + size > 500_000) await flush();
    batch.push(record);
    bytes += size;
  }
  await flush();
}

async function lagOf(admin: Admin, groupId: string, topics: string[]): Promise<number> {
  let lag = 0;
  const committed = await admin.fetchOffsets({ groupId, topics });
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    for (const end of ends) {
      const offset = committed
        .find((t) => t.topic === topic)
        ?.partitions.find((p) => p.partition === end.partition)?.offset;
      const at = offset === undefined || offset === '-1' ? 0 : Number(offset);
      lag += Number(end.high) - at;
    }
  }
  return lag;
}

describe('hostile input never stalls the stream', () => {
  let names: SystemNames;
  let receiver: Receiver;
  let kafka: Kafka;
  let publisher: EventPublisher;
  let admin: Admin;
  let dispatcher: SpawnedDispatcher | undefined;
  let logFile: string;

  beforeAll(async () => {
    names = newSystemNames();
    receiver = await startReceiver();
    ({ kafka, publisher } = await connectPublisher(names, 3));
    admin = kafka.admin();
    await admin.connect();
    logFile = join(tmpdir(), `${uniqueName('hostile')}.log`);
  });

  afterAll(async () => {
    await dispatcher?.kill('SIGKILL');
    await admin?.disconnect();
    await publisher?.disconnect();
    await receiver?.close();
    await cleanUp(names);
  });

  it('dead-letters every hostile record once, delivers every valid event, drains, and stays within budget', async () => {
    // The in-flight byte budget a deployment would set for a 300 MB process (the default is 64 MiB).
    const env = dispatcherEnv(names, {
      LOG_LEVEL: 'info',
      RETRY_SCHEDULE_MS: '200,400',
      DELIVERY_BUFFER_BYTES: String(32 * 1024 * 1024),
    });
    const port = await freePort();
    dispatcher = await spawnDispatcher(env, port, { logFile });
    const types: EventType[] = ['message_created', 'conversation_created', 'conversation_typing_on'];
    for (const account of ACCOUNTS) {
      await createWebhook(dispatcher.baseUrl, account, receiver.url('/ok'), types);
      await createWebhook(dispatcher.baseUrl, account, receiver.url('/fails'), types);
    }
    receiver.behave('/fails', { kind: 'status', code: 500 });

    const records = scenario(names);
    const hostileCount = records.filter((r) => r.hostile).length;
    const letters = await tailTopic<DeadLetter>(kafka, names.topics.deadLetter);
    let peakRss = rssMb(dispatcher.child.pid!);
    const sampler = setInterval(() => {
      try {
        peakRss = Math.max(peakRss, rssMb(dispatcher!.child.pid!));
      } catch {
        // the process is gone; the assertions below say why
      }
    }, 100);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const started = Date.now();
    try {
      await produceAll(producer, records);
      await waitFor('every hostile record dead-lettered', () => letters.records.length >= hostileCount, {
        timeoutMs: 90_000,
      });
      await waitFor('every valid event delivered', () => uniqueIds(receiver, '/ok') >= VALID_EVENTS, {
        timeoutMs: 60_000,
      });
      // The failing webhook's breaker defers some first attempts: they come back from the retry store.
      await waitFor(
        'every valid event attempted at the failing webhook',
        () => uniqueIds(receiver, '/fails') >= VALID_EVENTS,
        {
          timeoutMs: 60_000,
        },
      );
      await waitFor(
        'consumer lag back to zero',
        async () => (await lagOf(admin, names.groupId, eventTopics(names))) === 0,
        {
          timeoutMs: 60_000,
        },
      );
    } finally {
      clearInterval(sampler);
      await producer.disconnect();
    }
    const drainMs = Date.now() - started;

    const origins = new Set(
      letters.records.map((l) => `${l.origin.topic}/${l.origin.partition}/${l.origin.offset}`),
    );
    expect(origins.size).toBe(hostileCount);
    expect(letters.records).toHaveLength(hostileCount); // once each
    const truncated = letters.records.filter((l) => l.value_truncated);
    expect(truncated.length).toBeGreaterThan(0);
    expect(truncated.every((l) => l.value_bytes >= 900_000)).toBe(true);
    expect(letters.records.some((l) => l.reason === 'value is not valid UTF-8')).toBe(true);
    expect(uniqueIds(receiver, '/fails')).toBe(VALID_EVENTS); // attempted too
    expect(peakRss).toBeLessThan(RSS_BUDGET_MB);

    // The log says what happened without a line per record.
    const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
    const deadLetterLines = lines.filter((l) => l.includes('"record dead-lettered"'));
    expect(deadLetterLines.length).toBeLessThan(hostileCount / 10);
    expect(lines.some((l) => l.includes('"repeated"'))).toBe(true);

    // A restart finds everything committed: no dead letter is written twice.
    await dispatcher.kill('SIGTERM');
    dispatcher = await spawnDispatcher(env, port, { logFile });
    const after = await publisher.publish(
      exampleEvent('message_created', { id: ACCOUNTS[0], name: 'after' }),
    );
    await waitFor('an event after the restart delivered', () =>
      receiver.requests('/ok').some((r) => r.headers['webhook-id'] === after.eventId),
    );
    expect(letters.records).toHaveLength(hostileCount);
    await letters.stop();
    console.log(
      JSON.stringify({
        test: 'hostile-input',
        records: records.length,
        hostile: hostileCount,
        dead_letters: letters.records.length,
        truncated_letters: truncated.length,
        drain_ms: drainMs,
        peak_rss_mb: Math.round(peakRss),
        log_lines: lines.length,
      }),
    );
  }, 240_000);
});

function uniqueIds(receiver: Receiver, path: string): number {
  return new Set(receiver.requests(path).map((r) => r.headers['webhook-id'])).size;
}

function eventTopics(names: SystemNames): string[] {
  return [names.topics.conversations, names.topics.messages, names.topics.typing];
}
