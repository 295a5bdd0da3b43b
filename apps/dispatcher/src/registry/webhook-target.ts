import type { EventType } from '@vowchat/events';

/** What the delivery path needs of a webhook: where to send, what it wants, how to sign. */
export interface WebhookTarget {
  id: string;
  accountId: number;
  url: string;
  subscriptions: ReadonlySet<EventType>;
  /** The current secret first, then the previous one while its rotation grace lasts. */
  secrets: readonly string[];
  /** Most requests per second to the endpoint (all instances together); null for the default. */
  rateLimitPerSecond: number | null;
}
