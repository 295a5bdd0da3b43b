// `producer.send` for the dispatcher's small producers (webhook changes, state records, credential
// changes, re-encryption), trusting only the answer (decision 0022): kafkajs 2.2.4 can resolve a
// send spanning several brokers without having produced a partition whose leader moved during it.
// The records the answer leaves out are sent again, alone, a few times (a left-out record was never
// written, and every topic these producers write tolerates a duplicate); records still left out
// fail the send with a retriable error, so the caller's own retry takes over. BatchingProducer
// does the same for the delivery path, with a new idempotent producer for each resend.
import type { Message, Producer, ProducerRecord } from 'kafkajs';
import type { JsonLogger } from '@vowchat/platform';
import { unacknowledged } from './produce-coverage';

/** Resends of the records a send left out, before the send fails. */
const MAX_RESENDS = 2;

/** kafkajs answered a send without some of its partitions, and resending did not help. */
export class SendUnacknowledgedError extends Error {
  readonly retriable = true;
  constructor(
    readonly topic: string,
    /** The partitions left out (undefined: a record kafkajs never placed). */
    readonly partitions: readonly (number | undefined)[],
    /** Records left out, of the records sent. */
    readonly records: number,
    readonly of: number,
  ) {
    super(
      `Kafka answered a send to ${topic} without partition(s) ${partitions.map((p) => p ?? '?').join(', ')}: ` +
        `${records} of ${of} records not written after ${MAX_RESENDS} resends`,
    );
    this.name = 'SendUnacknowledgedError';
  }
}

/**
 * Sends `record` and resolves once the answer names the partition of every message, resending the
 * ones it leaves out; rejects with a retriable SendUnacknowledgedError when resends leave some out
 * still. `partitionOf` must be the map the producer's partitioner fills (`recordingPartitioner`):
 * a message it never placed counts as left out, so a producer built without one fails every send.
 */
export async function sendCovered(
  producer: Pick<Producer, 'send'>,
  record: ProducerRecord,
  partitionOf: WeakMap<Message, number>,
  log: Pick<JsonLogger, 'warnWith'>,
): Promise<void> {
  const { topic } = record;
  let messages = record.messages;
  for (let resends = 0; ; resends += 1) {
    for (const message of messages) partitionOf.delete(message);
    const answer = await producer.send({ ...record, messages });
    const missed = unacknowledged(
      messages.map((message) => ({ topic, partition: partitionOf.get(message) })),
      answer,
    );
    if (missed.length === 0) return;
    const left = missed.map((i) => messages[i]);
    const partitions = [...new Set(left.map((message) => partitionOf.get(message)))];
    const giveUp = resends >= MAX_RESENDS;
    log.warnWith('kafka answered a send without some of its partitions', {
      topic,
      partitions: partitions.map((p) => `${topic}/${p ?? '?'}`),
      records: left.length,
      of: messages.length,
      resends,
      then: giveUp ? 'failed back to the caller' : 'sent again',
    });
    if (giveUp) throw new SendUnacknowledgedError(topic, partitions, left.length, record.messages.length);
    messages = left;
  }
}
