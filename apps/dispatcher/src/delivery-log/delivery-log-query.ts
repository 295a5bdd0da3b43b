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

/** Comma-separated values from an allowed set (`outcome=failed,dead`); repeating the parameter also works. */
const listParam = <T extends string>(name: string, allowed: readonly T[]) =>
  z
    .union([z.string(), z.array(z.string())], {
      error: (issue) => `${name} must be one or more of ${allowed.join(', ')}; got ${shown(issue.input)}`,
    })
    .transform((value, ctx) => {
      const parts = (Array.isArray(value) ? value : [value])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter((v) => v !== '');
      const bad = parts.filter((p) => !(allowed as readonly string[]).includes(p));
      if (parts.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          input: value,
          message:
            parts.length === 0
              ? `${name} is empty; give one or more of ${allowed.join(', ')}, or leave it out`
              : `${name} must be one or more of ${allowed.join(', ')}; got ${bad.map((b) => `"${b}"`).join(', ')}`,
        });
        return z.NEVER;
      }
      return [...new Set(parts)] as T[];
    })
    .optional()
    .meta({ description: `Comma-separated (or repeated): ${allowed.join(', ')}` });

/** A parameter given once; repeating it is refused rather than guessing which one was meant. */
const single = (name: string) => z.string({ error: `${name} may be given once` });

const timeParam = (name: string, description: string) =>
  single(name)
    .transform((raw, ctx) => {
      const time = parseIsoTime(raw);
      if (time !== null) return time;
      ctx.addIssue({ code: 'custom', input: raw, message: `${name} must be ${ISO_HINT}, got ${shown(raw)}` });
      return z.NEVER;
    })
    .optional()
    .meta({ description });

const limitMessage = (issue: { input?: unknown }) =>
  `limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${shown(issue.input)}`;

/**
 * The query of `GET .../deliveries`: the OpenAPI document's parameters and the parser's schema. A
 * refusal is one message, naming the parameter and what to send.
 */
export const deliveryListQuerySchema = z
  .strictObject(
    {
      outcome: listParam('outcome', ATTEMPT_OUTCOMES),
      event_type: listParam('event_type', EVENT_TYPES),
      since: timeParam('since', 'First attempt at or after (ISO-8601 with a zone, or a date)'),
      until: timeParam('until', 'First attempt before (ISO-8601 with a zone, or a date)'),
      limit: single('limit')
        .regex(/^\d{1,4}$/, { error: limitMessage })
        .transform((raw, ctx) => {
          const limit = Number(raw);
          if (limit >= 1 && limit <= MAX_PAGE_SIZE) return limit;
          ctx.addIssue({ code: 'custom', input: raw, message: limitMessage({ input: raw }) });
          return z.NEVER;
        })
        .optional()
        .meta({ description: `1 to ${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}` }),
      cursor: single('cursor')
        .transform((raw, ctx) => {
          const cursor = decodeCursor(raw);
          if (cursor !== null) return cursor;
          ctx.addIssue({
            code: 'custom',
            input: raw,
            message: 'cursor is not one this API returned; pass next_cursor from the previous page unchanged',
          });
          return z.NEVER;
        })
        .optional()
        .meta({ description: 'next_cursor of the previous page, unchanged' }),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown query parameter ${issue.keys.map((k) => `"${k}"`).join(', ')}; the filters are ${LIST_PARAMS.join(', ')}`
          : 'the query must be a set of parameters',
    },
  )
  .refine((q) => !(q.since instanceof Date && q.until instanceof Date && q.since >= q.until), {
    // Checked even when another parameter is wrong: the refusal names the first in LIST_ORDER.
    when: () => true,
    path: ['since'],
    error: 'since must be earlier than until',
  });

/** Which refusal a query with several wrong parameters gets (unknown parameters first). */
const LIST_ORDER = ['since', 'until', 'outcome', 'event_type', 'limit', 'cursor'];

/** Parses the query string of `GET .../deliveries`. */
export function parseDeliveryListQuery(query: RawQuery): Parsed<DeliveryListQuery> {
  const parsed = checkWith(deliveryListQuerySchema, query);
  if (!parsed.ok) {
    const rank = (field: string) => LIST_ORDER.indexOf(field);
    const [first] = [...parsed.problems].sort((a, b) => rank(a.field) - rank(b.field));
    return refuse(first.message);
  }
  const q = parsed.value;
  return {
    ok: true,
    value: {
      outcomes: q.outcome ?? null,
      eventTypes: q.event_type ?? null,
      since: q.since ?? null,
      until: q.until ?? null,
      limit: q.limit ?? DEFAULT_PAGE_SIZE,
      after: q.cursor ?? null,
    },
  };
}

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

function refuse<T>(message: string): Parsed<T> {
  return { ok: false, message };
}
