// The shape of an issued API token and how it is stored. A token is a recognisable prefix naming its
// scope (`vwc_acct_` for one account, `vwc_svc_` for a backend service) and 32 random bytes in
// base64url: 256 bits of entropy, so one SHA-256 pass is all the storage needs (decision 0014
// says why not bcrypt or argon2). Only the hash is ever stored or published.
import { createHash, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIXES = { account: 'vwc_acct_', service: 'vwc_svc_' } as const;

/** What an issued token may do: act for one account, or publish for any account (the producer). */
export type TokenScope = keyof typeof TOKEN_PREFIXES;

/** Random bytes in a token: 256 bits, beyond any guessing or offline search of the hash. */
export const TOKEN_RANDOM_BYTES = 32;

const BODY = new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((TOKEN_RANDOM_BYTES * 4) / 3)}}$`);

/** The scope a presented string claims by its prefix and shape; undefined when it is not an issued token. */
export function scopeOfToken(token: string): TokenScope | undefined {
  for (const scope of Object.keys(TOKEN_PREFIXES) as TokenScope[]) {
    const prefix = TOKEN_PREFIXES[scope];
    if (token.startsWith(prefix)) return BODY.test(token.slice(prefix.length)) ? scope : undefined;
  }
  return undefined;
}

/** A new token of `scope` from `random` (injected for tests), and the hash that is stored for it. */
export function issueToken(
  scope: TokenScope,
  random: (bytes: number) => Buffer,
): { token: string; sha256: string } {
  const token = TOKEN_PREFIXES[scope] + random(TOKEN_RANDOM_BYTES).toString('base64url');
  return { token, sha256: tokenSha256(token) };
}

/** The stored form of a token: lower-case hex SHA-256 of its UTF-8 bytes. */
export function tokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time equality of two hex hashes (or any two strings), so timing reveals no prefix. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
