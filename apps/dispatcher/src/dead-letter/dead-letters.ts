// Records that cannot be delivered as events (not JSON, not UTF-8, unknown event, invalid fields,
// key mismatch) go to the dead-letter topic with the reason and their origin; the stream goes on.
// A letter always fits its topic: the value is cut to a prefix when the whole would not (record.ts,
// toDeadLetter). Should the broker refuse a letter anyway, a bare one (reason and origin, no value,
// key or headers) is sent instead: the record itself stays on its topic at its origin offset.
import { toDeadLetter, type DeadLetter } from '@vowchat/events';
import type { SampledLog } from '@vowchat/platform';
import type { TakenRecord } from '../consumer/event-stream.server';
import { RecordRefusedError, type BatchingProducer } from '../kafka/batching-producer';

/** Room kept for the letter's Kafka key, headers and framing beside its JSON value. */
const ENVELOPE_BYTES = 2_048;

export class DeadLetters {
  constructor(
    private readonly producer: Pick<BatchingProducer, 'send' | 'capacityOf'>,
    private readonly topic: string,
    private readonly log: SampledLog,
  ) {}

  /** Resolves once the dead letter is durable; rejects retriably, or not at all for a refusal. */
  async send(record: TakenRecord, reason: string, at: Date): Promise<void> {
    const letter = toDeadLetter(
      { ...record, headers: record.headers ?? {} },
      reason,
      at,
      this.producer.capacityOf(this.topic) - ENVELOPE_BYTES,
    );
    // The reason and origin are logged (sampled per kind of reason); the value is not (customer data).
    this.log.warn(reasonKind(reason), 'record dead-lettered', {
      reason: letter.reason.slice(0, 200),
      origin: letter.origin,
      value_truncated: letter.value_truncated,
    });
    try {
      await this.write(letter);
    } catch (error) {
      if (!(error instanceof RecordRefusedError)) throw error;
      this.log.error('dead_letter_refused', 'dead letter refused by the broker; sending it without value', {
        origin: letter.origin,
        error: error.message,
      });
      await this.write({
        ...letter,
        key: null,
        value: null,
        value_truncated: letter.value !== null,
        headers: {},
        headers_truncated: Object.keys(letter.headers).length > 0,
        reason: `${letter.reason} (letter refused: ${error.message})`,
      });
    }
  }

  private write(letter: DeadLetter): Promise<void> {
    return this.producer.send(this.topic, {
      key: letter.key,
      value: JSON.stringify(letter),
      headers: { 'vowchat-dead-letter-reason': letter.reason.slice(0, 500) },
    });
  }
}

/** A small, fixed set of log kinds from a free-text reason: its words before the first colon or quote. */
export function reasonKind(reason: string): string {
  return (
    reason
      .split(/[:"(]/, 1)[0]
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .slice(0, 40) || 'other'
  );
}
