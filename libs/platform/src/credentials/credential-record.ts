// The record of one issued token on the compacted credentials topic (`vowchat.credentials`), which
// the dispatcher writes on create and revoke and every dispatcher and producer instance follows.
// Key: the token id. Value: the token's hash and scope, never the token. Revoked: a tombstone (null
// value), so compaction drops the hash for good. Decision 0014.
import type { TokenScope } from './credential-token';

export interface CredentialRecord {
  id: string;
  scope: TokenScope;
  /** The account an `account` token acts for; null for a `service` token. */
  account_id: number | null;
  /** Hex SHA-256 of the token (credential-token.ts). */
  token_sha256: string;
  created_at: string;
}

/** One change read from the topic: a token now valid, or one revoked. */
export type CredentialChange = { kind: 'issued'; record: CredentialRecord } | { kind: 'revoked'; id: string };

/** The Kafka message that publishes `change`. */
export function encodeCredentialChange(change: CredentialChange): { key: string; value: string | null } {
  return change.kind === 'issued'
    ? { key: change.record.id, value: JSON.stringify(change.record) }
    : { key: change.id, value: null };
}

/** Reads a message of the credentials topic; `ok: false` names why it cannot be applied. */
export function decodeCredentialChange(
  key: string | null,
  value: string | null,
): { ok: true; change: CredentialChange } | { ok: false; reason: string } {
  if (!key) return { ok: false, reason: 'no key (the token id)' };
  if (value === null) return { ok: true, change: { kind: 'revoked', id: key } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { ok: false, reason: 'value is not JSON' };
  }
  const r = parsed as Partial<CredentialRecord> | null;
  if (typeof r !== 'object' || r === null) return { ok: false, reason: 'value is not an object' };
  if (r.id !== key) return { ok: false, reason: 'id differs from the key' };
  if (typeof r.token_sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.token_sha256))
    return { ok: false, reason: 'token_sha256 is not a hex SHA-256' };
  if (typeof r.created_at !== 'string') return { ok: false, reason: 'created_at is missing' };
  if (r.scope === 'account') {
    if (!Number.isSafeInteger(r.account_id) || (r.account_id as number) < 1)
      return { ok: false, reason: 'an account token needs a positive integer account_id' };
  } else if (r.scope === 'service') {
    if (r.account_id !== null) return { ok: false, reason: 'a service token has account_id null' };
  } else {
    return { ok: false, reason: 'scope is neither account nor service' };
  }
  const record: CredentialRecord = {
    id: r.id,
    scope: r.scope,
    account_id: r.account_id ?? null,
    token_sha256: r.token_sha256,
    created_at: r.created_at,
  };
  return { ok: true, change: { kind: 'issued', record } };
}
