import { hashToUuid, type EventType } from '@vowchat/events';

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
}

/** A delivery's id: stable for an (event, webhook) pair, so every attempt and redelivery shares it. */
export function deliveryIdOf(eventId: string, webhookId: string): string {
  return hashToUuid(`vowchat-delivery:${eventId}:${webhookId}`);
}
