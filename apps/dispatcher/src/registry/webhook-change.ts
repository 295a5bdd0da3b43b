// A webhook as the dispatcher knows it, and the change records that keep every instance's registry
// current. They travel on the compacted webhooks topic keyed by webhook id; a delete is a tombstone
// that still carries a value, so its version travels with it.
import { checkWith, isEventType, type EventType } from '@vowchat/events';
import { z } from 'zod';

/** A webhook endpoint: one row of the `webhooks` table. */
export interface Webhook {
  id: string;
  accountId: number;
  name: string | null;
  url: string;
  subscriptions: EventType[];
  /** The current signing secret (`whsec_…`). */
  secret: string;
  /** The secret before the last rotation, still signing until `previousSecretExpiresAt`. */
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  enabled: boolean;
  disabledReason: string | null;
  /** Most requests per second to the endpoint, shared among the instances; null for the configured default. */
  rateLimitPerSecond: number | null;
  /** Bumped on every change; a registry applies a change only when it is newer than what it holds. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type WebhookChange =
  { kind: 'upsert'; webhook: Webhook } | { kind: 'delete'; id: string; accountId: number; version: number };

/** The change that publishes `webhook` as it now is. */
export function upsertChange(webhook: Webhook): WebhookChange {
  return { kind: 'upsert', webhook };
}

/** The tombstone for a deleted webhook: one version past the last row it had. */
export function deleteChange(deleted: Pick<Webhook, 'id' | 'accountId' | 'version'>): WebhookChange {
  return { kind: 'delete', id: deleted.id, accountId: deleted.accountId, version: deleted.version + 1 };
}

// The values on the topic, as schemas: each refusal reads `<field> must be <what>`. A secret is text
// here, sealed (`v1:…`) or, in records written before secrets were sealed, plaintext (`whsec_…`):
// webhook-secrets.ts opens it.
const must = (field: string, what: string) => ({ error: `${field} must be ${what}` });
const isTime = (v: string) => !Number.isNaN(Date.parse(v));
const positiveInt = (field: string) =>
  z.int(must(field, 'a positive integer')).min(1, must(field, 'a positive integer'));
const textOrNull = (field: string) => z.string(must(field, 'a string or null')).nullable();
const time = (field: string, what = 'an ISO time') =>
  z.string(must(field, what)).refine(isTime, must(field, what));

const recordIdentity = {
  id: z.string(must('id', 'a non-empty string')).min(1, must('id', 'a non-empty string')),
  account_id: positiveInt('account_id'),
  version: positiveInt('version'),
};

/** The value of a delete on the topic: a tombstone that still carries its version. */
export const webhookTombstoneValueSchema = z.object({ ...recordIdentity, deleted: z.literal(true) });

/** The value of an upsert on the topic: the row, snake_case as in the table. */
export const webhookRowValueSchema = z.object({
  ...recordIdentity,
  url: z.string(must('url', 'a string')),
  subscriptions: z.array(
    z.string(must('subscriptions', 'an array of strings')),
    must('subscriptions', 'an array of strings'),
  ),
  secret: z.string(must('secret', 'a non-empty string')).min(1, must('secret', 'a non-empty string')),
  previous_secret: textOrNull('previous_secret'),
  previous_secret_expires_at: time('previous_secret_expires_at', 'an ISO time or null').nullable(),
  enabled: z.boolean(must('enabled', 'a boolean')),
  name: textOrNull('name'),
  disabled_reason: textOrNull('disabled_reason'),
  /** Absent in records written before rate limits (read as null: the default). */
  rate_limit_per_second: z
    .int(must('rate_limit_per_second', 'a positive integer, null or absent'))
    .min(1, must('rate_limit_per_second', 'a positive integer, null or absent'))
    .nullable()
    .optional(),
  created_at: time('created_at'),
  updated_at: time('updated_at'),
});

export type WebhookRowValue = z.input<typeof webhookRowValueSchema>;
export type WebhookTombstoneValue = z.input<typeof webhookTombstoneValueSchema>;

/** The Kafka message for `change`: key = webhook id, value = row or tombstone as JSON. */
export function encodeWebhookChange(change: WebhookChange): { key: string; value: string } {
  if (change.kind === 'delete') {
    const value: WebhookTombstoneValue = {
      id: change.id,
      account_id: change.accountId,
      deleted: true,
      version: change.version,
    };
    return { key: change.id, value: JSON.stringify(value) };
  }
  const w = change.webhook;
  const value: WebhookRowValue = {
    id: w.id,
    account_id: w.accountId,
    name: w.name,
    url: w.url,
    subscriptions: [...w.subscriptions],
    secret: w.secret,
    previous_secret: w.previousSecret,
    previous_secret_expires_at: w.previousSecretExpiresAt?.toISOString() ?? null,
    enabled: w.enabled,
    disabled_reason: w.disabledReason,
    rate_limit_per_second: w.rateLimitPerSecond,
    version: w.version,
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
  };
  return { key: w.id, value: JSON.stringify(value) };
}

export type DecodedWebhookChange = { ok: true; change: WebhookChange } | { ok: false; reason: string };

/**
 * Parses a record of the webhooks topic. A bad record yields a reason instead of throwing, so one
 * corrupt record cannot stop the registry from following the topic.
 */
export function decodeWebhookChange(key: string | null, value: string | null): DecodedWebhookChange {
  if (value === null) return { ok: false, reason: 'value is empty (null)' };
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    // Not the parser's message: V8 quotes the text, and this text holds a secret.
    return { ok: false, reason: 'value is not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, reason: 'value is not a JSON object' };
  const r = raw as Record<string, unknown>;
  const tombstone = r.deleted === true;
  const checked = tombstone ? checkWith(webhookTombstoneValueSchema, r) : checkWith(webhookRowValueSchema, r);
  const problems = checked.ok ? [] : checked.problems;
  // The key must name the record's webhook; said after the record's identity, before its fields.
  if (key !== null && typeof r.id === 'string' && key !== r.id) {
    const at = problems.filter((p) => p.field in recordIdentity).length;
    problems.splice(at, 0, { field: '(key)', message: `record key "${key}" does not match id "${r.id}"` });
  }
  if (!checked.ok || problems.length > 0)
    return { ok: false, reason: [...new Set(problems.map((p) => p.message))].join('; ') };
  const v = checked.value;
  if ('deleted' in v) {
    return { ok: true, change: { kind: 'delete', id: v.id, accountId: v.account_id, version: v.version } };
  }
  return {
    ok: true,
    change: {
      kind: 'upsert',
      webhook: {
        id: v.id,
        accountId: v.account_id,
        name: v.name,
        url: v.url,
        // A name this build does not know (written by a newer one) cannot match any event here.
        subscriptions: v.subscriptions.filter(isEventType),
        secret: v.secret,
        previousSecret: v.previous_secret,
        previousSecretExpiresAt:
          v.previous_secret_expires_at === null ? null : new Date(v.previous_secret_expires_at),
        enabled: v.enabled,
        disabledReason: v.disabled_reason,
        rateLimitPerSecond: v.rate_limit_per_second ?? null,
        version: v.version,
        createdAt: new Date(v.created_at),
        updatedAt: new Date(v.updated_at),
      },
    },
  };
}
