// The transactional outbox of webhook changes (docs/decisions/0021-outbox-and-retention.md): a
// change is written to `webhook_outbox` in the transaction that changes the webhook's row, so a
// committed change cannot miss the compacted webhooks topic. The instance that made it publishes it
// at once and deletes its row; a relay on every instance publishes the rows left behind (the
// publish failed, or the instance died in between). What a row holds is the topic's record itself,
// secrets sealed: plaintext secrets are never written to the outbox.
import type { SecretBox } from '../secrets/secret-box';
import { encodeWebhookChange, type WebhookChange } from './webhook-change';
import { sealChange } from './webhook-secrets';

/** One outbox row: the change's identity and its record on the webhooks topic. */
export interface OutboxRecord {
  webhookId: string;
  /** The webhook's version after the change (a tombstone's, for a delete). */
  version: number;
  key: string;
  /** The record's value, its secrets sealed under the newest key. */
  value: string;
}

/** The outbox row for `change`, which holds its secrets in plaintext (as in memory): they are sealed here. */
export function outboxRecord(change: WebhookChange, box: SecretBox): OutboxRecord {
  const { key, value } = encodeWebhookChange(sealChange(change, box));
  return { webhookId: key, version: versionOf(change), key, value };
}

/** The version a change brings its webhook to. */
export function versionOf(change: WebhookChange): number {
  return change.kind === 'upsert' ? change.webhook.version : change.version;
}

export interface RelayTiming {
  /** How often the relay looks for rows. */
  everyMs: number;
  /**
   * How old a row must be before the relay publishes it: younger ones are the fast path's, whose
   * publish is normally done within milliseconds. A slow one the relay overtakes is published
   * twice, which is harmless: registries apply a change only when its version is newer.
   */
  minAgeMs: number;
  /** Rows per publish; the relay keeps going while batches are full. */
  batchSize: number;
}

export const DEFAULT_RELAY_TIMING: RelayTiming = { everyMs: 1_000, minAgeMs: 5_000, batchSize: 100 };
