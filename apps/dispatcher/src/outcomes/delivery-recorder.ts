// Publishes every delivery fact (attempts, deferrals, breaker state changes, webhook enable/disable)
// to the delivery topic, keyed by webhook id so one webhook's records keep their order. Postgres is
// fed from that topic by the projector, never written on the hot path.
import type { AttemptRecord, DeliveryTopicRecord } from '@vowchat/events';
import type { BatchingProducer } from '../kafka/batching-producer';

/** Room kept for the record's key, headers and framing beside its value. */
const ENVELOPE_BYTES = 1_024;

export class DeliveryRecorder {
  constructor(
    private readonly producer: Pick<BatchingProducer, 'send' | 'capacityOf'>,
    private readonly topic: string,
  ) {}

  /** Resolves once the record is durable on the delivery topic. */
  record(record: DeliveryTopicRecord): Promise<void> {
    const value = fitted(record, this.producer.capacityOf(this.topic) - ENVELOPE_BYTES);
    return this.producer.send(this.topic, {
      key: record.webhook_id,
      value,
      headers: { 'vowchat-record-kind': record.kind },
    });
  }
}

/**
 * The record as JSON, within `maxBytes`: an attempt carrying the payload of an event near the
 * topic's limit (plus its response body and error) would pass it, so the payload is left out and
 * the record says so; texts the dispatcher wrote itself are cut last.
 */
export function fitted(record: DeliveryTopicRecord, maxBytes: number): string {
  const json = JSON.stringify(record);
  if (record.kind !== 'attempt' || Buffer.byteLength(json) <= maxBytes) return json;
  const withoutPayload: AttemptRecord = {
    ...record,
    payload: null,
    payload_omitted: record.payload !== null,
  };
  const smaller = JSON.stringify(withoutPayload);
  if (Buffer.byteLength(smaller) <= maxBytes) return smaller;
  return JSON.stringify({
    ...withoutPayload,
    response_body: record.response_body?.slice(0, 1_024) ?? null,
    error: record.error?.slice(0, 1_024) ?? null,
  });
}
