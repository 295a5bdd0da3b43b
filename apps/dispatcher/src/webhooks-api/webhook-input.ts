// What the management API accepts. Pure: each problem names the field and says what to send instead.
import { EVENT_TYPES, isEventType, type EventType, type FieldProblem } from '@vowchat/events';
import { parseWebhookUrl, type UrlPolicy } from '../security/url-policy';
import type { CreateWebhookInput, UpdateWebhookInput } from '../webhooks/webhook-edits';

export type { CreateWebhookInput, UpdateWebhookInput } from '../webhooks/webhook-edits';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

export const MAX_NAME_LENGTH = 255;
const CREATE_FIELDS = ['url', 'subscriptions', 'name', 'rate_limit_per_second'] as const;
const UPDATE_FIELDS = ['url', 'subscriptions', 'name', 'enabled', 'rate_limit_per_second'] as const;
/** Bounds of a webhook's `rate_limit_per_second` (requests per second, all instances together). */
export const RATE_LIMIT_BOUNDS = { min: 1, max: 10_000 } as const;

/** The account id of a path, or null when it is not a positive integer. */
export function parseAccountId(raw: string): number | null {
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) return null;
  const id = Number(raw);
  return Number.isSafeInteger(id) ? id : null;
}

/** True when `raw` can be a webhook id (a UUID); anything else cannot name a webhook. */
export function isWebhookId(raw: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(raw);
}

/** True when the body is a JSON object (what every write expects). */
export function isJsonObject(body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}

export function parseCreateWebhook(
  body: Record<string, unknown>,
  policy: UrlPolicy,
): Parsed<CreateWebhookInput> {
  const fields = unwrap(body);
  const problems = unknownFields(fields, CREATE_FIELDS);
  const url = parseUrl(fields.url, policy, problems);
  const subscriptions = parseSubscriptions(fields.subscriptions, problems);
  const name = parseName(fields.name, problems);
  const rateLimit = parseRateLimit(fields.rate_limit_per_second, problems);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      url: url!,
      subscriptions: subscriptions!,
      name: name ?? null,
      rateLimitPerSecond: rateLimit ?? null,
    },
  };
}

export function parseUpdateWebhook(
  body: Record<string, unknown>,
  policy: UrlPolicy,
): Parsed<UpdateWebhookInput> {
  const fields = unwrap(body);
  const problems = unknownFields(fields, UPDATE_FIELDS);
  const value: UpdateWebhookInput = {};
  if (fields.url !== undefined) {
    const url = parseUrl(fields.url, policy, problems);
    if (url !== undefined) value.url = url;
  }
  if (fields.subscriptions !== undefined)
    value.subscriptions = parseSubscriptions(fields.subscriptions, problems);
  if (fields.name !== undefined) value.name = parseName(fields.name, problems);
  if (fields.rate_limit_per_second !== undefined)
    value.rateLimitPerSecond = parseRateLimit(fields.rate_limit_per_second, problems);
  if (fields.enabled !== undefined) {
    if (typeof fields.enabled === 'boolean') value.enabled = fields.enabled;
    else problems.push({ field: 'enabled', message: 'enabled must be true or false' });
  }
  if (problems.length === 0 && Object.keys(fields).length === 0) {
    problems.push({
      field: '(root)',
      message: `nothing to change: send at least one of ${UPDATE_FIELDS.join(', ')}`,
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value };
}

// Chatwoot's API also takes its fields wrapped as {"webhook": {...}}; scripts written for it may send that.
function unwrap(body: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(body);
  return keys.length === 1 && keys[0] === 'webhook' && isJsonObject(body.webhook) ? body.webhook : body;
}

function unknownFields(fields: Record<string, unknown>, allowed: readonly string[]): FieldProblem[] {
  return Object.keys(fields)
    .filter((key) => !allowed.includes(key))
    .map((key) => {
      // A field is named even when its key is empty or enormous.
      const shown = JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
      return {
        field: key === '' || key.length > 64 ? shown : key,
        message: `unknown field ${shown}; the fields are ${allowed.join(', ')}`,
      };
    });
}

/**
 * Text Postgres cannot store (NUL) or that is not Unicode (a lone surrogate, which would be stored
 * as U+FFFD): refused rather than failing the write or storing something else.
 */
function textProblem(field: string, raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  if (raw.includes('\u0000')) return `${field} must not contain NUL characters`;
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(raw))
    return `${field} must be valid Unicode text (it holds a lone surrogate)`;
  return null;
}

/** The URL as stored (normalised: security/url-policy.ts), or undefined after recording its problem. */
function parseUrl(raw: unknown, policy: UrlPolicy, problems: FieldProblem[]): string | undefined {
  const invalid = textProblem('url', raw);
  const parsed = invalid === null ? parseWebhookUrl(raw, policy) : { ok: false as const, problem: invalid };
  if (parsed.ok) return parsed.url;
  problems.push({ field: 'url', message: parsed.problem });
  return undefined;
}

function parseSubscriptions(raw: unknown, problems: FieldProblem[]): EventType[] | undefined {
  const field = 'subscriptions';
  const valid = `the event names are ${EVENT_TYPES.join(', ')}`;
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.push({ field, message: `subscriptions must be a non-empty array of event names; ${valid}` });
    return undefined;
  }
  const notText = raw.findIndex((item) => typeof item !== 'string');
  if (notText >= 0) {
    problems.push({
      field: `${field}[${notText}]`,
      message: `subscriptions must hold event names (strings); ${valid}`,
    });
    return undefined;
  }
  const names = raw as string[];
  const unknown = [...new Set(names.filter((n) => !isEventType(n)))];
  if (unknown.length > 0) {
    const list = unknown.map((n) => JSON.stringify(n)).join(', ');
    problems.push({ field, message: `unknown event name${unknown.length > 1 ? 's' : ''} ${list}; ${valid}` });
    return undefined;
  }
  const duplicates = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
  if (duplicates.length > 0) {
    problems.push({
      field,
      message: `subscriptions lists ${duplicates.join(', ')} more than once; list each event once`,
    });
    return undefined;
  }
  return names as EventType[];
}

function parseName(raw: unknown, problems: FieldProblem[]): string | null | undefined {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string') {
    problems.push({ field: 'name', message: 'name must be a string (or null for none)' });
    return undefined;
  }
  const invalid = textProblem('name', raw);
  if (invalid !== null) {
    problems.push({ field: 'name', message: invalid });
    return undefined;
  }
  if (raw.length > MAX_NAME_LENGTH) {
    problems.push({
      field: 'name',
      message: `name must be at most ${MAX_NAME_LENGTH} characters, got ${raw.length}`,
    });
    return undefined;
  }
  return raw;
}

/** A webhook's own request rate: an integer within RATE_LIMIT_BOUNDS, or null (absent too) for the default. */
function parseRateLimit(raw: unknown, problems: FieldProblem[]): number | null | undefined {
  if (raw === undefined || raw === null) return null;
  const { min, max } = RATE_LIMIT_BOUNDS;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
    problems.push({
      field: 'rate_limit_per_second',
      message: `rate_limit_per_second must be a whole number of requests per second from ${min} to ${max}, or null for the default`,
    });
    return undefined;
  }
  return raw;
}
