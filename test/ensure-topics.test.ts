// ensureTopics on the real broker: once it returns, a new topic's partitions take records at the
// first try. Metadata names a partition's leader a few milliseconds before the leader has created
// its log; a produce in between is refused ("not the leader") and retried, which duplicated records
// in about one topic of seven here and once left a test's first records missing.
import { createKafka, ensureTopics, JsonLogger } from '@vowchat/platform';
import { KAFKA_BROKERS } from './support/infra';
import { uniqueName } from './support/names';

jest.setTimeout(120_000);

const ROUNDS = 20;

it(`lets a producer without retries write to every partition of ${ROUNDS} topics it has just created`, async () => {
  const kafka = createKafka(uniqueName('ensure-topics'), KAFKA_BROKERS, new JsonLogger('test', 'error'));
  const admin = kafka.admin();
  await admin.connect();
  const topics: string[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const topic = uniqueName('ensure');
      topics.push(topic);
      await ensureTopics(kafka, [{ topic, partitions: 3 }]);
      // A producer of its own, with no retries: any refusal fails the send.
      const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
      await producer.connect();
      try {
        await producer.send({
          topic,
          messages: [0, 1, 2].map((partition) => ({ partition, value: `round ${round}` })),
        });
      } finally {
        await producer.disconnect();
      }
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.map((o) => Number(o.high) - Number(o.low))).toEqual([1, 1, 1]);
    }
  } finally {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  }
});
