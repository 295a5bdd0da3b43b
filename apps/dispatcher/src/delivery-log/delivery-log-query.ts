// What the delivery log API accepts: list filters, the paging cursor and the bulk-redeliver body.
// Pure: each refusal names the parameter and says what to send instead.
import {
  ATTEMPT_OUTCOMES,
  checkWith,
  closedObject,
  EVENT_TYPES,
  type AttemptOutcome,
  type EventType,
} from '@vowchat/events';
import { z } from 'zod';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
const LIST_PARAMS = ['outcome', 'event_type', 'since', 'until', 'limit', 'cursor'] as const;

/** A position in the newest-first order: the delivery's first attempt time (to the microsecond) and its id. */
export interface DeliveryCursor {
  firstAttemptAt: string;
  deliveryId: string;
}

export interface DeliveryListQuery {
  /** Null: any. */
  outcomes: AttemptOutcome[] | null;
  eventTypes: EventType[] | null;
  /** First attempt at or after `since` and before `until`. */
  since: Date | null;
  until: Date | null;
  limit: number;
  /** Where the previous page ended; null for the first page. */
  after: DeliveryCursor | null;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

type RawQuery = Record<string, unknown>;

/** Parses the query string of `GET .../deliveries`. */
export function parseDeliveryListQuery(query: RawQuery): Parsed<DeliveryListQuery> {
  const unknown = Object.keys(query).filter((k) => !(LIST_PARAMS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    return refuse(
      `unknown query parameter ${unknown.map((k) => `"${k}"`).join(', ')}; the filters are ${LIST_PARAMS.join(', ')}`,
    );
  }
  try {
    const since = timeParam(query, 'since');
    const until = timeParam(query, 'until');
    if (since && until && since >= until) throw new Problem('since must be earlier than until');
    return {
      ok: true,
      value: {
        outcomes: listParam(query, 'outcome', ATTEMPT_OUTCOMES),
        eventTypes: listParam(query, 'event_type', EVENT_TYPES),
        since,
        until,
        limit: limitParam(query),
        after: cursorParam(query),
      },
    };
  } catch (error) {
    if (error instanceof Problem) return refuse(error.message);
    throw error;
  }
}

/**
 * The query of `GET .../deliveries` as documented (OpenAPI). parseDeliveryListQuery checks it: a
 * list parameter may also be repeated, and the refusal is one message naming what to send.
 */
export const deliveryListQuerySchema = z.object({
  outcome: z
    .string()
    .optional()
    .meta({ description: `Comma-separated: ${ATTEMPT_OUTCOMES.join(', ')}` }),
  event_type: z
    .string()
    .optional()
    .meta({ description: `Comma-separated: ${EVENT_TYPES.join(', ')}` }),
  since: z
    .string()
    .optional()
    .meta({ description: 'First attempt at or after (ISO-8601 with a zone, or a date)' }),
  until: z
    .string()
    .optional()
    .meta({ description: 'First attempt before (ISO-8601 with a zone, or a date)' }),
  limit: z
    .string()
    .regex(/^\d{1,4}$/)
    .optional()
    .meta({ description: `1 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}` }),
  cursor: z.string().optional().meta({ description: 'next_cursor of the previous page, unchanged' }),
});

const REDELIVER_HINT = 'send {"since": "<ISO-8601 time>"} as JSON with Content-Type: application/json';
const sinceMessage = (issue: { input?: unknown }) =>
  issue.input === undefined
    ? `since is required: ${REDELIVER_HINT}`
    : `since must be ${ISO_HINT}, got ${shown(issue.input)}`;

/** The body of `POST .../redeliver`: `{"since": "<ISO-8601 time>"}`. */
export const redeliverSinceSchema = closedObject(
  {
    since: z
      .string({ error: sinceMessage })
      .refine((v) => parseIsoTime(v) !== null, { error: sinceMessage })
      .transform((v) => parseIsoTime(v) as Date)
      .meta({
        description: 'ISO-8601 with a zone (or a date): redeliver failed and dead deliveries since then',
      }),
  },
  {
    unknown: `unknown field {key}: ${REDELIVER_HINT}`,
    notObject: `the body must be a JSON object: ${REDELIVER_HINT}`,
  },
);

/** Parses the body of `POST .../redeliver`. */
export function parseRedeliverSince(body: unknown): Parsed<Date> {
  const parsed = checkWith(redeliverSinceSchema, body);
  return parsed.ok ? { ok: true, value: parsed.value.since } : refuse(parsed.problems[0].message);
}

/** The opaque `next_cursor` for a page that ended at this position. */
export function encodeCursor(cursor: DeliveryCursor): string {
  return Buffer.from(JSON.stringify([cursor.firstAttemptAt, cursor.deliveryId])).toString('base64url');
}

/** The position a cursor names, or null when it is not one this API made. */
export function decodeCursor(raw: string): DeliveryCursor | null {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded) || decoded.length !== 2) return null;
    const [at, id] = decoded as unknown[];
    if (typeof at !== 'string' || !isCursorTime(at)) return null;
    if (typeof id !== 'string' || !UUID.test(id)) return null;
    return { firstAttemptAt: at, deliveryId: id.toLowerCase() };
  } catch {
    return null;
  }
}

/** True when `raw` can be a delivery id (a UUID); anything else names no delivery. */
export function isDeliveryId(raw: string): boolean {
  return UUID.test(raw);
}

/**
 * An ISO-8601 date, or date and time with a zone (`Z` or `±hh:mm`), as a Date; null otherwise.
 * A time without a zone is refused: it would silently mean the server's local time.
 */
export function parseIsoTime(raw: string): Date | null {
  if (!ISO_TIME.test(raw)) return null;
  const [year, month, day] = raw.slice(0, 10).split('-').map(Number);
  // Date.parse rolls 2024-02-30 over into March instead of refusing it.
  if (new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return null;
  const time = Date.parse(raw);
  return Number.isNaN(time) ? null : new Date(time);
}

const ISO_HINT = 'an ISO-8601 time with a zone, e.g. 2024-01-15T10:30:00Z (or a date, 2024-01-15)';
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A cursor time Postgres takes back: a real instant (no 2024-02-30 or 24:00, which Date.parse rolls
 * over) from year 1 on (Postgres has no year 0).
 */
function isCursorTime(at: string): boolean {
  if (!CURSOR_TIME.test(at) || at.startsWith('0000')) return false;
  const time = Date.parse(at);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 19) === at.slice(0, 19);
}

/** A value quoted for an error message: short, and never JSON.stringify of a deeply nested value. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

class Problem extends Error {}

function refuse<T>(message: string): Parsed<T> {
  return { ok: false, message };
}

/** A parameter given once; repeating it is refused rather than guessing which one was meant. */
function single(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Problem(`${name} may be given once`);
  return value;
}

/** Comma-separated values from an allowed set (`outcome=failed,dead`); repeating the parameter also works. */
function listParam<T extends string>(query: RawQuery, name: string, allowed: readonly T[]): T[] | null {
  const value = query[name];
  if (value === undefined) return null;
  const parts = (Array.isArray(value) ? value : [value])
    .flatMap((v) => (typeof v === 'string' ? v.split(',') : [String(v)]))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (parts.length === 0)
    throw new Problem(`${name} is empty; give one or more of ${allowed.join(', ')}, or leave it out`);
  const bad = parts.filter((p) => !(allowed as readonly string[]).includes(p));
  if (bad.length > 0)
    throw new Problem(
      `${name} must be one or more of ${allowed.join(', ')}; got ${bad.map((b) => `"${b}"`).join(', ')}`,
    );
  return [...new Set(parts)] as T[];
}

function timeParam(query: RawQuery, name: string): Date | null {
  const raw = single(query, name);
  if (raw === undefined) return null;
  const time = parseIsoTime(raw);
  if (time === null) throw new Problem(`${name} must be ${ISO_HINT}, got ${shown(raw)}`);
  return time;
}

function limitParam(query: RawQuery): number {
  const raw = single(query, 'limit');
  if (raw === undefined) return DEFAULT_PAGE_SIZE;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_PAGE_SIZE))
    throw new Problem(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${shown(raw)}`);
  return limit;
}

function cursorParam(query: RawQuery): DeliveryCursor | null {
  const raw = single(query, 'cursor');
  if (raw === undefined) return null;
  const cursor = decodeCursor(raw);
  if (cursor === null)
    throw new Problem(
      'cursor is not one this API returned; pass next_cursor from the previous page unchanged',
    );
  return cursor;
}
