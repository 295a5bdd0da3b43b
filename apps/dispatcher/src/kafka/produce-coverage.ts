// Which records a kafkajs send really wrote. kafkajs 2.2.4 can resolve a send without having sent
// some of its records (decision 0022): when one leader of a request spanning several brokers fails,
// its retry skips every broker that already answered, so a partition whose leadership moved to one
// of those is never produced, and the answer simply leaves that partition out. The answer is the
// only faithful account of what was written: a record counts as acknowledged only when the
// partition kafkajs last put it in is in the answer (the publisher's produce queue checks the same).
import type { ICustomPartitioner, Message, RecordMetadata } from 'kafkajs';

/**
 * `inner`, noting in `chosen` the partition of each message it places. kafkajs partitions every
 * message again on each retry of a send, so after the send the map holds the partition of its
 * last attempt, the one its answer speaks of.
 */
export function recordingPartitioner(
  inner: ICustomPartitioner,
  chosen: WeakMap<Message, number>,
): ICustomPartitioner {
  return () => {
    const partitionOf = inner();
    return (args) => {
      const partition = partitionOf(args);
      chosen.set(args.message, partition);
      return partition;
    };
  };
}

/** Where one sent record went; `partition` undefined when kafkajs never placed it. */
export interface SentRecord {
  topic: string;
  partition: number | undefined;
}

/** Indexes of the records whose partition the answer does not acknowledge, in order. */
export function unacknowledged(
  sent: readonly SentRecord[],
  answer: readonly Pick<RecordMetadata, 'topicName' | 'partition' | 'errorCode'>[],
): number[] {
  const acknowledged = new Set(
    answer.filter((m) => m.errorCode === 0).map((m) => slot(m.topicName, m.partition)),
  );
  const missed: number[] = [];
  sent.forEach(({ topic, partition }, i) => {
    if (partition === undefined || !acknowledged.has(slot(topic, partition))) missed.push(i);
  });
  return missed;
}

function slot(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}
