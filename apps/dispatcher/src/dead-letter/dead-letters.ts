// Records that cannot be delivered as events (not JSON, unknown event, invalid fields, key
// mismatch) go to the dead-letter topic with the reason and their origin; the stream goes on.
import { toDeadLetter } from '@vowchat/events';
import type { JsonLogger } from '@vowchat/platform';
import type { TakenRecord } from '../consumer/event-stream.server';
import type { BatchingProducer } from '../kafka/batching-producer';

export class DeadLetters {
  constructor(
    private readonly producer: BatchingProducer,
    private readonly topic: string,
    private readonly log: JsonLogger,
  ) {}

  /** Resolves once the dead letter is durable. */
  async send(record: TakenRecord, reason: string, at: Date): Promise<void> {
    const letter = toDeadLetter({ ...record, headers: record.headers ?? {} }, reason, at);
    // The reason and origin are logged; the value is not (it may hold customer data).
    this.log.warnWith('record dead-lettered', { reason, origin: letter.origin });
    await this.producer.send(this.topic, {
      key: record.key,
      value: JSON.stringify(letter),
      headers: { 'vowchat-dead-letter-reason': reason.slice(0, 500) },
    });
  }
}
