// Publishes every delivery fact (attempts, breaker state changes, webhook enable/disable) to the
// delivery topic, keyed by webhook id so one webhook's records keep their order. Postgres is fed
// from that topic by the projector, never written on the hot path.
import type { DeliveryTopicRecord } from '@vowchat/events';
import type { BatchingProducer } from '../kafka/batching-producer';

export class DeliveryRecorder {
  constructor(
    private readonly producer: BatchingProducer,
    private readonly topic: string,
  ) {}

  /** Resolves once the record is durable on the delivery topic. */
  record(record: DeliveryTopicRecord): Promise<void> {
    return this.producer.send(this.topic, {
      key: record.webhook_id,
      value: JSON.stringify(record),
      headers: { 'vowchat-record-kind': record.kind },
    });
  }
}
