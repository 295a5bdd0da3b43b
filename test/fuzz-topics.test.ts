// The fuzz suite's stream half: arbitrary records (fast-check, fixed seed) on the three event
// topics, interleaved with valid events, produced by a plain Kafka client to a real dispatcher
// process. Properties: the dispatcher never crashes; each record the decoder refuses is
// dead-lettered exactly once, with the decoder's own reason; every valid event reaches its
// webhook; the consumer lag returns to zero; RSS stays within budget. FUZZ_RUNS sets the record
// count (`npm run fuzz` runs thousands; `npm test` a few hundred).
import fc from 'fast-check';
import type { Admin, IHeaders, Kafka, Producer } from 'kafkajs';
import {
  allExampleEvents,
  decodeEventRecord,
  EVENT_HEADERS,
  eventTopics,
  newEventId,
  recordRefusal,
  toEventMessage,
  type DeadLetter,
  type EventPublisher,
  type VowChatEvent,
} from '@vowchat/events';
import {
  FUZZ_SEED,
  fuzzRuns,
  hostileBytes,
  nastyString,
  nearValidEventText,
} from './support/event-arbitraries';
import { rssMb } from './support/process-stats';
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

const ACCOUNT = { id: 11, name: 'My Company' }; // the examples' account: near-valid events may stay valid
const ALL_TYPES = allExampleEvents(ACCOUNT).map((e) => e.event);
const RSS_BUDGET_MB = 300;

interface FuzzRecord {
  topic: number;
  key: string | null;
  value: Buffer | null;
  headers: IHeaders;
}

function arbitraryRecord(events: readonly VowChatEvent[]): fc.Arbitrary<FuzzRecord> {
  const validEvent = fc.constantFrom(...events).map((e) => toEventMessage(e, newEventId()));
  return fc.oneof(
    // a valid event, as a producer of ours writes it
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.nat(2), validEvent)
        .map(([topic, m]) => ({ topic, ...m, value: Buffer.from(m.value) })),
    },
    {
      weight: 6,
      arbitrary: fc.record({
        topic: fc.nat(2),
        key: fc.option(fc.oneof(fc.constant(String(ACCOUNT.id)), nastyString), { freq: 4 }),
        value: fc.option(
          fc.oneof(
            hostileBytes(events),
            nearValidEventText(ACCOUNT).map((t) => Buffer.from(t)),
            // large: up to just under the broker's record limit
            fc.integer({ min: 100_000, max: 1_040_000 }).map((n) => Buffer.alloc(n, 0x7b)),
          ),
          { freq: 10 },
        ),
        headers: fc.dictionary(
          fc.oneof(fc.constant(EVENT_HEADERS.eventId), fc.string({ maxLength: 20 })),
          fc.oneof(
            fc.string({ maxLength: 40 }),
            fc.uuid(),
            fc.integer({ min: 1, max: 50_000 }).map((n) => 'h'.repeat(n)),
          ),
          { maxKeys: 3 },
        ),
      }),
    },
  );
}

describe('fuzz: arbitrary records on the event topics', () => {
  let names: SystemNames;
  let receiver: Receiver;
  let kafka: Kafka;
  let publisher: EventPublisher;
  let admin: Admin;
  let producer: Producer;
  let dispatcher: SpawnedDispatcher | undefined;

  beforeAll(async () => {
    names = newSystemNames();
    receiver = await startReceiver();
    ({ kafka, publisher } = await connectPublisher(names, 3));
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  afterAll(async () => {
    await dispatcher?.kill('SIGKILL');
    await producer?.disconnect();
    await admin?.disconnect();
    await publisher?.disconnect();
    await receiver?.close();
    await cleanUp(names);
  });

  it('dead-letters exactly the records the decoder refuses, with its reason, and delivers the rest', async () => {
    dispatcher = await spawnDispatcher(dispatcherEnv(names), await freePort());
    await createWebhook(dispatcher.baseUrl, ACCOUNT.id, receiver.url('/fuzz'), ALL_TYPES);
    const topics = eventTopics(names.topics);
    const records = fc.sample(arbitraryRecord(allExampleEvents(ACCOUNT)), {
      seed: FUZZ_SEED,
      numRuns: fuzzRuns(250),
    });
    const letters = await tailTopic<DeadLetter>(kafka, names.topics.deadLetter);
    let peakRss = 0;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(dispatcher!.child.pid!))), 100);

    const expectedReasons = new Map<string, string>();
    const expectedDeliveries = new Set<string>();
    let refusedByBroker = 0;
    try {
      for (const r of records) {
        const topic = topics[r.topic];
        let meta;
        try {
          [meta] = await producer.send({
            topic,
            acks: -1,
            messages: [{ key: r.key, value: r.value, headers: r.headers }],
          });
        } catch (error) {
          // Past the broker's limit: refused at the door, so it never reaches the dispatcher.
          if (recordRefusal(error) !== 'too_large') throw error;
          refusedByBroker++;
          continue;
        }
        const origin = `${topic}/${meta.partition}/${meta.baseOffset}`;
        const decoded = decodeEventRecord({
          topic,
          partition: meta.partition,
          offset: meta.baseOffset!,
          // As the broker holds them: strings travel as UTF-8 (a lone surrogate becomes U+FFFD).
          key: r.key === null ? null : Buffer.from(r.key),
          value: r.value,
          headers: Object.fromEntries(
            Object.entries(r.headers).map(([name, v]) => [name, typeof v === 'string' ? Buffer.from(v) : v]),
          ),
        });
        if (!decoded.ok) expectedReasons.set(origin, decoded.reason);
        else if (decoded.event.account.id === ACCOUNT.id) expectedDeliveries.add(decoded.eventId);
      }
      await waitFor(
        'every refused record dead-lettered',
        () => letters.records.length >= expectedReasons.size,
        { timeoutMs: 60_000 },
      );
      await waitFor(
        'every valid event delivered',
        () => deliveredIds(receiver).size >= expectedDeliveries.size,
        { timeoutMs: 60_000 },
      );
      await waitFor(
        'consumer lag back to zero',
        async () => {
          const committed = await admin.fetchOffsets({ groupId: names.groupId, topics });
          for (const topic of topics)
            for (const end of await admin.fetchTopicOffsets(topic)) {
              const at = committed
                .find((t) => t.topic === topic)
                ?.partitions.find((p) => p.partition === end.partition)?.offset;
              if (end.high !== '0' && at !== end.high) return false;
            }
          return true;
        },
        { timeoutMs: 60_000 },
      );
    } finally {
      clearInterval(sampler);
    }
    await letters.stop();

    expect(dispatcher.child.exitCode).toBeNull();
    expect((await fetch(`${dispatcher.baseUrl}/health/live`)).status).toBe(200);
    const byOrigin = new Map(
      letters.records.map((l) => [`${l.origin.topic}/${l.origin.partition}/${l.origin.offset}`, l]),
    );
    expect(byOrigin.size).toBe(letters.records.length); // once each
    expect([...byOrigin.keys()].sort()).toEqual([...expectedReasons.keys()].sort());
    for (const [origin, reason] of expectedReasons)
      expect(byOrigin.get(origin)!.reason).toBe(reason.slice(0, 1_000) + (reason.length > 1_000 ? '…' : ''));
    expect([...deliveredIds(receiver)].sort()).toEqual([...expectedDeliveries].sort());
    expect(peakRss).toBeLessThan(RSS_BUDGET_MB);
    expect(expectedReasons.size).toBeGreaterThan(records.length / 3); // the sample is hostile enough
    expect(expectedDeliveries.size).toBeGreaterThan(records.length / 10);
    expect(refusedByBroker).toBeLessThan(records.length / 10);
  }, 240_000);
});

function deliveredIds(receiver: Receiver): Set<string> {
  return new Set(receiver.requests('/fuzz').map((r) => String(r.headers['webhook-id'])));
}
