// The API's JSON for a webhook: snake_case, in Chatwoot's envelope (`payload.webhook`,
// `payload.webhooks`). The secret is shown only when it was just made (create, rotate-secret).
import type { EventType } from '@vowchat/events';
import type { Webhook } from '../registry/webhook-change';

export interface WebhookView {
  id: string;
  account_id: number;
  name: string | null;
  url: string;
  subscriptions: EventType[];
  enabled: boolean;
  disabled_reason: string | null;
  /** Requests per second to the endpoint; null: the configured default (DELIVERY_ENDPOINT_RATE_LIMIT). */
  rate_limit_per_second: number | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookWithSecretView extends WebhookView {
  secret: string;
  /** When the previous secret stops signing (after a rotation), else absent. */
  previous_secret_expires_at?: string;
}

export function webhookView(w: Webhook): WebhookView {
  return {
    id: w.id,
    account_id: w.accountId,
    name: w.name,
    url: w.url,
    subscriptions: w.subscriptions,
    enabled: w.enabled,
    disabled_reason: w.disabledReason,
    rate_limit_per_second: w.rateLimitPerSecond,
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
  };
}

export function webhookWithSecretView(w: Webhook): WebhookWithSecretView {
  return {
    ...webhookView(w),
    secret: w.secret,
    ...(w.previousSecretExpiresAt
      ? { previous_secret_expires_at: w.previousSecretExpiresAt.toISOString() }
      : {}),
  };
}
