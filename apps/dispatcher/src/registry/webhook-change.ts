// A webhook as the dispatcher knows it, and the change records that keep every instance's registry
// current. They travel on the compacted webhooks topic keyed by webhook id; a delete is a tombstone
// that still carries a value, so its version travels with it.
import { isEventType, type EventType } from '@vowchat/events';

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

/** The value of an upsert on the topic: the row, snake_case as in the table. */
export interface WebhookRowValue {
  id: string;
  account_id: number;
  name: string | null;
  url: string;
  subscriptions: string[];
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  /** Absent in records written before rate limits (read as null: the default). */
  rate_limit_per_second?: number | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface WebhookTombstoneValue {
  id: string;
  account_id: number;
  deleted: true;
  version: number;
}

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
  const problems: string[] = [];
  const want = (field: string, ok: boolean, expected: string) => {
    if (!ok) problems.push(`${field} must be ${expected}`);
  };
  const isText = (v: unknown): v is string => typeof v === 'string';
  const isTextOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
  const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));

  want('id', isText(r.id) && r.id !== '', 'a non-empty string');
  want(
    'account_id',
    Number.isSafeInteger(r.account_id) && (r.account_id as number) > 0,
    'a positive integer',
  );
  want('version', Number.isSafeInteger(r.version) && (r.version as number) > 0, 'a positive integer');
  if (key !== null && isText(r.id) && key !== r.id)
    problems.push(`record key "${key}" does not match id "${r.id}"`);

  if (r.deleted === true) {
    if (problems.length > 0) return { ok: false, reason: problems.join('; ') };
    return {
      ok: true,
      change: {
        kind: 'delete',
        id: r.id as string,
        accountId: r.account_id as number,
        version: r.version as number,
      },
    };
  }
  want('url', isText(r.url), 'a string');
  want(
    'subscriptions',
    Array.isArray(r.subscriptions) && r.subscriptions.every(isText),
    'an array of strings',
  );
  want('secret', isText(r.secret) && r.secret !== '', 'a non-empty string');
  want('previous_secret', isTextOrNull(r.previous_secret), 'a string or null');
  want(
    'previous_secret_expires_at',
    r.previous_secret_expires_at === null || isTime(r.previous_secret_expires_at),
    'an ISO time or null',
  );
  want('enabled', typeof r.enabled === 'boolean', 'a boolean');
  want('name', isTextOrNull(r.name), 'a string or null');
  want('disabled_reason', isTextOrNull(r.disabled_reason), 'a string or null');
  want(
    'rate_limit_per_second',
    r.rate_limit_per_second === undefined ||
      r.rate_limit_per_second === null ||
      (Number.isSafeInteger(r.rate_limit_per_second) && (r.rate_limit_per_second as number) > 0),
    'a positive integer, null or absent',
  );
  want('created_at', isTime(r.created_at), 'an ISO time');
  want('updated_at', isTime(r.updated_at), 'an ISO time');
  if (problems.length > 0) return { ok: false, reason: problems.join('; ') };

  const expiresAt = r.previous_secret_expires_at as string | null;
  return {
    ok: true,
    change: {
      kind: 'upsert',
      webhook: {
        id: r.id as string,
        accountId: r.account_id as number,
        name: r.name as string | null,
        url: r.url as string,
        // A name this build does not know (written by a newer one) cannot match any event here.
        subscriptions: (r.subscriptions as string[]).filter(isEventType),
        secret: r.secret as string,
        previousSecret: r.previous_secret as string | null,
        previousSecretExpiresAt: expiresAt === null ? null : new Date(expiresAt),
        enabled: r.enabled as boolean,
        disabledReason: r.disabled_reason as string | null,
        rateLimitPerSecond: (r.rate_limit_per_second as number | null | undefined) ?? null,
        version: r.version as number,
        createdAt: new Date(r.created_at as string),
        updatedAt: new Date(r.updated_at as string),
      },
    },
  };
}
