// Disposable brokers (test/support/kafka-cluster.ts), which later chaos and broker-kill tests build on:
// a three-node cluster takes acks=all writes at RF 3 / min.insync.replicas 2, a SIGKILL of a
// partition's leader moves leadership without stopping writes, and the killed node rejoins the ISR
// once restarted; a single disposable broker survives a SIGKILL with its data. Both start in
// parallel (JVM start-up is most of this file's time) on their own ports; the shared broker is untouched.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { ensureTopics } from '@vowchat/platform';
import { startCluster, type KafkaCluster } from './support/kafka-cluster';
import { uniqueName } from './support/names';
import { waitFor } from './support/wait-for';

jest.setTimeout(120_000);

let cluster: KafkaCluster;
let single: KafkaCluster;

beforeAll(async () => {
  const started = await Promise.allSettled([startCluster({ brokers: 3 }), startCluster({ brokers: 1 })]);
  const [three, one] = started;
  if (three.status === 'fulfilled') cluster = three.value;
  if (one.status === 'fulfilled') single = one.value;
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
});

afterAll(async () => {
  await Promise.all([cluster?.stop(), single?.stop()]);
});

function quietKafka(brokers: string[]): Kafka {
  return new Kafka({ clientId: uniqueName('cluster-test'), brokers, logLevel: logLevel.NOTHING });
}

/** Writes `values` to one partition with acks=all from an idempotent producer; resolves once all are acknowledged. */
async function write(producer: Producer, topic: string, partition: number, values: string[]): Promise<void> {
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ partition, value })) });
}

/** Every value on the topic, read from the beginning until `expected` values have arrived. */
async function readAll(kafka: Kafka, topic: string, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('cluster-test') });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void values.push(String(message.value)) });
    await waitFor(`${expected} values on ${topic}`, () => values.length >= expected, { timeoutMs: 30_000 });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

const batch = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('a three-node cluster', () => {
  it('creates topics at replication factor 3 with min.insync.replicas 2', async () => {
    await cluster.showLogsOnFailure(async () => {
      const kafka = quietKafka(cluster.bootstrap);
      const topic = uniqueName('rf3');
      await ensureTopics(kafka, [{ topic, partitions: 3 }], { replicationFactor: 3 });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        expect(topics[0].partitions.map((p) => [...p.replicas].sort())).toEqual([
          [1, 2, 3],
          [1, 2, 3],
          [1, 2, 3],
        ]);
        const { resources } = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }],
        });
        expect(resources[0].configEntries).toEqual([
          expect.objectContaining({ configName: 'min.insync.replicas', configValue: '2' }),
        ]);
      } finally {
        await admin.disconnect();
      }
    });
  });

  it('keeps taking acks=all writes when the leader is SIGKILLed, and the restarted node rejoins the ISR', async () => {
    await cluster.showLogsOnFailure(async () => {
      const kafka = quietKafka(cluster.bootstrap);
      const topic = uniqueName('failover');
      await ensureTopics(kafka, [{ topic, partitions: 3 }], { replicationFactor: 3 });
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // Short steps, so writes go on soon after the election (kafkajs's default backoff doubles from 300 ms).
        retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 30 },
      });
      await producer.connect();
      try {
        await waitFor(
          'every replica of partition 0 in sync',
          async () => (await cluster.isr(topic, 0)).length === 3,
        );
        const before = batch('before', 100);
        await write(producer, topic, 0, before);

        const leader = await cluster.leaderOf(topic, 0);
        expect(cluster.nodeIds).toContain(leader);
        await cluster.kill(leader);
        expect(cluster.isRunning(leader)).toBe(false);

        // kafkajs retries through refused connections and "not the leader" until the controller fences
        // the dead node (FAST_FAILOVER: 3 s without a heartbeat) and elects one of the other two.
        const after = batch('after', 100);
        const [newLeader] = await Promise.all([
          waitFor('a new leader of partition 0', async () => {
            const now = await cluster.leaderOf(topic, 0);
            return now !== leader && now > 0 ? now : undefined;
          }),
          write(producer, topic, 0, after),
        ]);
        expect(cluster.nodeIds).toContain(newLeader);
        expect(await cluster.isr(topic, 0)).not.toContain(leader);

        const values = await readAll(kafka, topic, before.length + after.length);
        expect(new Set(values)).toEqual(new Set([...before, ...after]));

        await cluster.restart(leader);
        await waitFor(`node ${leader} back in partition 0's ISR`, async () =>
          (await cluster.isr(topic, 0)).includes(leader),
        );
        await write(producer, topic, 0, batch('rejoined', 10));
      } finally {
        await producer.disconnect();
      }
    });
  });
});

describe('a disposable single broker', () => {
  it('keeps its data across a SIGKILL and a restart on the same port', async () => {
    await single.showLogsOnFailure(async () => {
      const kafka = quietKafka(single.bootstrap);
      const topic = uniqueName('single');
      await ensureTopics(kafka, [{ topic, partitions: 1 }]);
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const kept = batch('kept', 50);
      await write(producer, topic, 0, kept);
      await producer.disconnect();

      await single.kill(1);
      expect(single.isRunning(1)).toBe(false);
      await single.restart(1);

      const again = quietKafka(single.bootstrap);
      const producerAgain = again.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producerAgain.connect();
      await write(producerAgain, topic, 0, ['after-restart']);
      await producerAgain.disconnect();
      expect(await readAll(again, topic, kept.length + 1)).toEqual([...kept, 'after-restart']);
    });
  });
});
