// Issued API tokens as the operator manages them: what is kept about one (never the token), what
// the API shows, and the one input a create takes. Pure; token generation and hashing are
// libs/platform's (credential-token.ts), shared with the guard of both apps.
import { checkWith, closedObject, type FieldProblem } from '@vowchat/events';
import { z } from 'zod';
import type { TokenScope } from '@vowchat/platform';

export interface ApiToken {
  id: string;
  scope: TokenScope;
  /** The account an `account` token acts for; null for a `service` token. */
  accountId: number | null;
  name: string;
  tokenSha256: string;
  createdAt: Date;
  /** Last use seen by a dispatcher (to the minute); the producer's uses are not recorded. */
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What the API shows of a token: metadata only. The token itself only once, on create. */
export interface ApiTokenView {
  id: string;
  scope: TokenScope;
  account_id: number | null;
  name: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  token?: string;
}

export const MAX_TOKEN_NAME_LENGTH = 100;

export function apiTokenView(t: ApiToken, token?: string): ApiTokenView {
  return {
    id: t.id,
    scope: t.scope,
    account_id: t.accountId,
    name: t.name,
    created_at: t.createdAt.toISOString(),
    last_used_at: t.lastUsedAt?.toISOString() ?? null,
    revoked_at: t.revokedAt?.toISOString() ?? null,
    ...(token === undefined ? {} : { token }),
  };
}

const nameMessage = (issue: { input?: unknown }) =>
  typeof issue.input !== 'string' || issue.input.trim() === ''
    ? 'required: a label saying who or what uses the token'
    : issue.input.length > MAX_TOKEN_NAME_LENGTH
      ? `at most ${MAX_TOKEN_NAME_LENGTH} characters`
      : 'no control characters';

/** The body of a create: `{"name": "..."}`, a label for people (1–100 printable characters). */
export const createTokenSchema = closedObject(
  {
    name: z
      .string({ error: nameMessage })
      .refine((v) => v.trim() !== '', { error: nameMessage })
      .refine((v) => v.length <= MAX_TOKEN_NAME_LENGTH, { error: nameMessage })
      .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), { error: nameMessage })
      .transform((v) => v.trim())
      .meta({ description: 'Who or what uses the token (1-100 printable characters)' }),
  },
  { unknown: 'unknown field {key}: only name may be set', notObject: 'send a JSON object: {"name": "..."}' },
);

export function parseCreateToken(
  body: unknown,
): { ok: true; name: string } | { ok: false; problems: FieldProblem[] } {
  const parsed = checkWith(createTokenSchema, body);
  return parsed.ok ? { ok: true, name: parsed.value.name } : parsed;
}

/** True when `raw` can be a token id (a UUID); anything else names no token. */
export function isTokenId(raw: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(raw);
}
