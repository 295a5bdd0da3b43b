// The record of one issued token on the compacted credentials topic (`vowchat.credentials`), which
// the dispatcher writes on create and revoke and every dispatcher and producer instance follows.
// Key: the token id. Value: the token's hash and scope, never the token. Revoked: a tombstone (null
// value), so compaction drops the hash for good. Decision 0014.
import { checkWith, type FieldProblem } from '@vowchat/events';
import { z } from 'zod';

const ACCOUNT_ID_MESSAGE = 'an account token needs a positive integer account_id';

/**
 * The value of an issued token's record. Each refusal is one reason; the first (in the order of the
 * fields, the scope's rule for account_id last) is the one a follower logs.
 */
export const credentialRecordSchema = z
  .object({
    id: z.string(),
    /** Hex SHA-256 of the token (credential-token.ts). */
    token_sha256: z
      .string({ error: 'token_sha256 is not a hex SHA-256' })
      .regex(/^[0-9a-f]{64}$/, { error: 'token_sha256 is not a hex SHA-256' }),
    created_at: z.string({ error: 'created_at is missing' }),
    scope: z.enum(['account', 'service'], { error: 'scope is neither account nor service' }),
    /** The account an `account` token acts for; null for a `service` token. */
    account_id: z.int({ error: ACCOUNT_ID_MESSAGE }).min(1, { error: ACCOUNT_ID_MESSAGE }).nullable(),
  })
  .superRefine((r, ctx) => {
    if (r.scope === 'account' && r.account_id === null)
      ctx.addIssue({ code: 'custom', path: ['account_id'], message: ACCOUNT_ID_MESSAGE });
    if (r.scope === 'service' && r.account_id !== null)
      ctx.addIssue({ code: 'custom', path: ['account_id'], message: 'a service token has account_id null' });
  });

export type CredentialRecord = z.output<typeof credentialRecordSchema>;

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
  if (typeof parsed !== 'object' || parsed === null) return { ok: false, reason: 'value is not an object' };
  if ((parsed as { id?: unknown }).id !== key) return { ok: false, reason: 'id differs from the key' };
  const checked = checkWith(credentialRecordSchema, parsed);
  if (!checked.ok) return { ok: false, reason: firstReason(checked.problems, parsed) };
  const { id, scope, account_id, token_sha256, created_at } = checked.value;
  return {
    ok: true,
    change: { kind: 'issued', record: { id, scope, account_id, token_sha256, created_at } },
  };
}

/** The reason to give: the first problem (the fields' order puts the scope before account_id). */
function firstReason(problems: FieldProblem[], parsed: object): string {
  const [first] = problems;
  // A service token with a malformed account_id is refused as a service token with an account.
  if (first.field === 'account_id' && (parsed as { scope?: unknown }).scope === 'service')
    return 'a service token has account_id null';
  return first.message;
}
