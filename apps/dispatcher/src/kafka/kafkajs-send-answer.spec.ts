// What BatchingProducer relies on in kafkajs's own send loop (node_modules/kafkajs/src/producer/
// sendMessages.js), driven with a fake cluster: two leaders, one of which answers NOT_LEADER and
// hands its partition to the other, which has already acknowledged its own. The answer must never
// name a partition no broker acknowledged; that is what lets `unacknowledged` find what was not
// written. (In 2.2.4 the moved partition is never produced at all: decision 0022.)
import { unacknowledged } from './produce-coverage';

interface TopicData {
  topic: string;
  partitions: { partition: number; messages: unknown[] }[];
}
interface Answer {
  topicName: string;
  partition: number;
  errorCode: number;
}
type SendMessages = (
  options: Record<string, unknown>,
) => (request: {
  acks: number;
  topicMessages: { topic: string; messages: { partition: number; value: string }[] }[];
}) => Promise<Answer[]>;

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's internals have no typings */
const createSendMessages = require('kafkajs/src/producer/sendMessages') as SendMessages;
const createRetry = require('kafkajs/src/retry') as (options: Record<string, number>) => unknown;
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => Error;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const NOT_LEADER_OR_FOLLOWER = 6;

/** Sends one record to each of partitions 0 (led by broker 1) and 1 (led by broker 2, then 1). */
async function sendWhileLeaderMoves() {
  const leaders = new Map([
    [0, 1],
    [1, 2],
  ]);
  const acknowledged: number[] = [];
  const broker = (nodeId: number) => ({
    nodeId,
    produce: async ({ topicData }: { topicData: TopicData[] }) => {
      const partitions = topicData.flatMap((t) => t.partitions.map((p) => p.partition));
      if (nodeId === 2 && leaders.get(1) === 2) {
        leaders.set(1, 1); // broker 2 lost partition 1 to broker 1
        throw createErrorFromCode(NOT_LEADER_OR_FOLLOWER);
      }
      acknowledged.push(...partitions);
      return {
        topics: [
          {
            topicName: 'deliveries',
            partitions: partitions.map((partition) => ({ partition, errorCode: 0, baseOffset: '0' })),
          },
        ],
      };
    },
  });
  const brokers = new Map([1, 2].map((id) => [id, broker(id)]));
  const cluster = {
    targetTopics: new Set(['deliveries']),
    refreshMetadataIfNecessary: async () => undefined,
    refreshMetadata: async () => undefined,
    addMultipleTargetTopics: async () => undefined,
    isConnected: () => true,
    findTopicPartitionMetadata: () => [{ partitionId: 0 }, { partitionId: 1 }],
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const byLeader: Record<number, number[]> = {};
      for (const p of partitions.map(Number)) (byLeader[leaders.get(p)!] ??= []).push(p);
      return byLeader;
    },
    findBroker: async ({ nodeId }: { nodeId: string }) => brokers.get(Number(nodeId)),
  };
  const eosManager = {
    acquireBrokerLock: async () => undefined,
    releaseBrokerLock: async () => undefined,
    isTransactional: () => false,
    getSequence: () => 0,
    updateSequence: () => undefined,
    getProducerId: () => 1,
    getProducerEpoch: () => 0,
  };
  const quiet = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  const send = createSendMessages({
    logger: quiet,
    cluster,
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    eosManager,
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
  });

  const messages = [
    { partition: 0, value: 'a' },
    { partition: 1, value: 'b' },
  ];
  const answer = await send({ acks: -1, topicMessages: [{ topic: 'deliveries', messages }] });
  const sent = messages.map((m) => ({ topic: 'deliveries', partition: m.partition }));
  return { answer, acknowledged, missed: unacknowledged(sent, answer).map((i) => messages[i].partition) };
}

describe("kafkajs's send answer after a leader moves to a broker that already answered", () => {
  it('names only partitions a broker acknowledged, so the records it left out are found', async () => {
    const { answer, acknowledged, missed } = await sendWhileLeaderMoves();
    const answered = new Set(answer.map((m) => m.partition));
    expect([...answered].every((p) => acknowledged.includes(p))).toBe(true);
    expect(missed).toEqual([0, 1].filter((p) => !acknowledged.includes(p)));
  });

  // Fails once kafkajs sends the moved partition again (a fixed version): then update decision 0022;
  // the check in BatchingProducer may stay, it costs a Set per batch.
  it('in kafkajs 2.2.4, resolves without ever producing the moved partition', async () => {
    const { acknowledged, missed } = await sendWhileLeaderMoves();
    expect({ acknowledged, missed }).toEqual({ acknowledged: [0], missed: [1] });
  });
});
