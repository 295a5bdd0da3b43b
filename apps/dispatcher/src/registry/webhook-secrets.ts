// A webhook's signing secrets at rest: sealed in its Postgres row and in its change records on the
// compacted webhooks topic, plaintext only in memory (the registry signs with them). Each field is
// sealed bound to its own name and the webhook's id, so a ciphertext does not open in another row.
import type { SecretBox } from '../secrets/secret-box';
import type { Webhook, WebhookChange } from './webhook-change';

/** The associated data of a webhook's current secret. */
export const secretContext = (webhookId: string): string => `webhooks.secret:${webhookId}`;
/** The associated data of a webhook's previous secret (during a rotation's grace). */
export const previousSecretContext = (webhookId: string): string => `webhooks.previous_secret:${webhookId}`;

/** A copy of `webhook` (same class) with its secrets sealed under the newest key. */
export function sealWebhookSecrets<T extends Webhook>(webhook: T, box: SecretBox): T {
  return withSecrets(webhook, (value, context) => box.seal(value, context));
}

/**
 * A copy of `webhook` with its stored secrets opened (legacy plaintext ones read as they are).
 * Throws SecretBoxError when one does not open: it is never used as it is.
 */
export function openWebhookSecrets<T extends Webhook>(webhook: T, box: SecretBox): T {
  return withSecrets(webhook, (value, context) => box.reveal(value, context));
}

/** The change with its webhook's secrets sealed: what goes on the topic. */
export function sealChange(change: WebhookChange, box: SecretBox): WebhookChange {
  return change.kind === 'upsert'
    ? { kind: 'upsert', webhook: sealWebhookSecrets(change.webhook, box) }
    : change;
}

/** The change read from the topic with its secrets opened: what a registry applies. */
export function openChange(change: WebhookChange, box: SecretBox): WebhookChange {
  return change.kind === 'upsert'
    ? { kind: 'upsert', webhook: openWebhookSecrets(change.webhook, box) }
    : change;
}

/** True when every secret of the stored webhook is sealed under the newest key. */
export function secretsAreCurrent(
  webhook: Pick<Webhook, 'secret' | 'previousSecret'>,
  box: SecretBox,
): boolean {
  return (
    box.isCurrent(webhook.secret) &&
    (webhook.previousSecret === null || box.isCurrent(webhook.previousSecret))
  );
}

function withSecrets<T extends Webhook>(webhook: T, map: (value: string, context: string) => string): T {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(webhook) as object) as T, webhook);
  copy.secret = map(webhook.secret, secretContext(webhook.id));
  copy.previousSecret =
    webhook.previousSecret === null ? null : map(webhook.previousSecret, previousSecretContext(webhook.id));
  return copy;
}
