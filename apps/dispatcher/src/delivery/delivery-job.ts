import {
  hashToUuid,
  newEventId,
  type DeferralReason,
  type DeferralRecord,
  type EventType,
} from '@vowchat/events';

/** One (event, webhook) pair on its way to an attempt. */
export interface DeliveryJob {
  deliveryId: string;
  eventId: string;
  eventType: EventType;
  accountId: number;
  webhookId: string;
  /** The event exactly as published: the request body. */
  body: string;
  /** The attempt this job will make, 1-based. */
  attempt: number;
  /** Where the job came from: the event stream, or the retry store (which then holds its row). */
  source: 'stream' | 'retry';
  /** The source event's Kafka timestamp (ISO), where end-to-end latency starts; null for a redelivery. */
  publishedAt: string | null;
  /**
   * When the dispatcher routed the event to this webhook (ISO), on the job taken straight from the
   * stream; null on jobs from the retry store (not kept there) and redeliveries. See the SLO.
   */
  routedAt: string | null;
}

/** A delivery's id: stable for an (event, webhook) pair, so every attempt and redelivery shares it. */
export function deliveryIdOf(eventId: string, webhookId: string): string {
  return hashToUuid(`vowchat-delivery:${eventId}:${webhookId}`);
}

/** A Kafka record timestamp (epoch ms as a string) as ISO; null when the broker gave none (-1). */
export function publishedAtOf(kafkaTimestamp: string | undefined): string | null {
  const ms = Number(kafkaTimestamp);
  if (!Number.isSafeInteger(ms) || ms <= 0) return null;
  return new Date(ms).toISOString();
}

/** The delivery-topic record of a job put off without an attempt; made once, so a rewrite keeps its id. */
export function deferralRecord(job: DeliveryJob, reason: DeferralReason, at: Date): DeferralRecord {
  return {
    kind: 'deferral',
    deferral_id: newEventId(),
    delivery_id: job.deliveryId,
    webhook_id: job.webhookId,
    account_id: job.accountId,
    event_type: job.eventType,
    attempt: job.attempt,
    reason,
    at: at.toISOString(),
    routed_at: job.routedAt,
    event_published_at: job.publishedAt,
  };
}
