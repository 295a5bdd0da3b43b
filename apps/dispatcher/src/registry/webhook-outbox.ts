// The transactional outbox of webhook changes (docs/decisions/0021-outbox-and-retention.md): a
// change is written to `webhook_outbox` in the transaction that changes the webhook's row, so a
// committed change cannot miss the compacted webhooks topic, nor an enable/disable its
// `webhook_state` record on the delivery topic. The instance that made it publishes it at once and
// deletes its row; a relay on every instance publishes the rows left behind (the publish failed,
// or the instance died in between). What a row holds is the topic's record itself, secrets sealed:
// plaintext secrets are never written to the outbox.
import { hashToUuid, type WebhookStateRecord } from '@vowchat/events';
import type { SecretBox } from '../secrets/secret-box';
import { encodeWebhookChange, type Webhook, type WebhookChange } from './webhook-change';
import { sealChange } from './webhook-secrets';

/**
 * What a row holds, and so where it goes: a `webhook_change` to the compacted webhooks topic, a
 * `webhook_state` (an enable/disable) to the delivery topic, with that record kind's header.
 */
export const OUTBOX_KINDS = ['webhook_change', 'webhook_state'] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];

/** One outbox row: its kind, the change's identity and its record on the topic. */
export interface OutboxRecord {
  kind: OutboxKind;
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
  return { kind: 'webhook_change', webhookId: key, version: versionOf(change), key, value };
}

/**
 * The `webhook_state` record of an enable/disable that brought `w` to its version, at `at`. Its id
 * is derived from the webhook and that version: one enable/disable is one fact, however many times
 * it is published (the projection writes it once).
 */
export function webhookStateRecord(w: Webhook, at: Date): WebhookStateRecord {
  return {
    kind: 'webhook_state',
    state_id: hashToUuid(`webhook_state:${w.id}:${w.version}`),
    webhook_id: w.id,
    account_id: w.accountId,
    enabled: w.enabled,
    reason: w.disabledReason ?? 'enabled',
    at: at.toISOString(),
  };
}

/** The outbox row of a state record; `version` is the webhook's after the enable/disable. */
export function stateOutboxRecord(record: WebhookStateRecord, version: number): OutboxRecord {
  return {
    kind: 'webhook_state',
    webhookId: record.webhook_id,
    version,
    key: record.webhook_id,
    value: JSON.stringify(record),
  };
}

/**
 * A batch of rows (in `seq` order) split by kind, each group keeping that order; the groups in the
 * order of their first row. Order matters within a topic (per key), not across the two topics.
 */
export function groupByKind<R extends { kind: OutboxKind }>(rows: readonly R[]): [OutboxKind, R[]][] {
  const groups = new Map<OutboxKind, R[]>();
  for (const row of rows) {
    const group = groups.get(row.kind);
    if (group) group.push(row);
    else groups.set(row.kind, [row]);
  }
  return [...groups];
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
