// What a webhook change may carry, once its HTTP input has been parsed and checked
// (webhooks-api/webhook-input.ts parses it; the domain never sees raw input).
import type { EventType } from '@vowchat/events';

export interface CreateWebhookInput {
  url: string;
  subscriptions: EventType[];
  name: string | null;
  /** Requests per second to the endpoint; null for the configured default. */
  rateLimitPerSecond: number | null;
}

export interface UpdateWebhookInput {
  url?: string;
  subscriptions?: EventType[];
  name?: string | null;
  enabled?: boolean;
  rateLimitPerSecond?: number | null;
}
