// Webhook signatures. The primary scheme is Standard Webhooks (webhook-id / webhook-timestamp /
// webhook-signature), so its public verifiers accept our requests unmodified. X-VowChat-* headers
// serve receivers ported from Chatwoot-style integrations.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret: `whsec_` + base64 of 24 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

/** True when `secret` has the `whsec_<base64>` form. */
export function isWebhookSecret(secret: string): boolean {
  return (
    secret.startsWith(SECRET_PREFIX) && /^[A-Za-z0-9+/]+={0,2}$/.test(secret.slice(SECRET_PREFIX.length))
  );
}

/** Standard Webhooks `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the decoded secret. */
export function standardSignature(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): string {
  // Accept the secret with or without its prefix, as the standardwebhooks verifier does.
  const key = Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
}

/** `sha256=<hex HMAC-SHA256 of "timestamp.body">`, keyed by the secret text as a whole. */
export function vowchatSignature(secret: string, timestampSeconds: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
}

/** What a signed request carries. */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'x-vowchat-signature': string;
  'x-vowchat-timestamp': string;
  'x-vowchat-delivery': string;
}

/**
 * Signs one request. During a secret rotation `secrets` holds the new secret and the old one, and
 * every signature header lists one signature per secret, space-separated.
 */
export function signRequest(
  secrets: readonly string[],
  eventId: string,
  deliveryId: string,
  timestampSeconds: number,
  body: string,
): SignedHeaders {
  if (secrets.length === 0) throw new Error('signRequest needs at least one secret');
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((s) => standardSignature(s, eventId, timestampSeconds, body)).join(' '),
    'x-vowchat-signature': secrets.map((s) => vowchatSignature(s, timestampSeconds, body)).join(' '),
    'x-vowchat-timestamp': String(timestampSeconds),
    'x-vowchat-delivery': deliveryId,
  };
}

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

export interface VerifyOptions {
  /** How far the timestamp may be from now, either way (default 300 s, as Standard Webhooks says). */
  toleranceSeconds?: number;
  now?: () => Date;
}

/**
 * For Node receivers: checks a request's Standard Webhooks signature against `secret` and returns
 * the parsed payload, or throws WebhookVerificationError saying what did not match.
 * `headers` may be Node's IncomingHttpHeaders (lower-case names).
 */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string | Buffer,
  options: VerifyOptions = {},
): unknown {
  const lowered = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const get = (name: string) => {
    const v = lowered.get(name);
    return Array.isArray(v) ? v[0] : v;
  };
  const id = get('webhook-id');
  const timestamp = get('webhook-timestamp');
  const signatures = get('webhook-signature');
  if (!id || !timestamp || !signatures)
    throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature header');
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds)) throw new WebhookVerificationError('webhook-timestamp is not an integer');
  const now = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (Math.abs(now - seconds) > tolerance)
    throw new WebhookVerificationError(`webhook-timestamp is more than ${tolerance} s from now`);
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const expected = Buffer.from(standardSignature(secret, id, seconds, text));
  const matches = signatures
    .split(' ')
    .map((s) => Buffer.from(s))
    .some((s) => s.length === expected.length && timingSafeEqual(s, expected));
  if (!matches) throw new WebhookVerificationError('no signature matches this secret');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new WebhookVerificationError('the signed body is not JSON');
  }
}
