// From an HTTP request (path account id + raw body) to the events to publish, or the precise error
// to answer. Pure: every rule of the ingestion API is decided here and tested beside it.
//
// The envelope (the path's account id, the single-event body, the batch body and its size, the depth
// limit) is described by zod schemas, which are both the parser's definition and the OpenAPI
// document's (api-contract/producer-api.ts). The events themselves go through the hand-written
// validator (validateEvent), proven equal to their schemas (docs/decisions/0018-schemas.md).
import { isUtf8 } from 'node:buffer';
import {
  describeProblems,
  isEventType,
  jsonDepthProblem,
  MAX_EVENT_DEPTH,
  validateEvent,
  type FieldProblem,
  type VowChatEvent,
} from '@vowchat/events';
import { z } from 'zod';
import { errorResponse, type ErrorResponse } from '../http/api-error';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: ErrorResponse };

/** The raw body as the body parser leaves it: bytes, or nothing when the request had no body. */
export type RawBody = Buffer | string | undefined;

/** `{account_id}` in an envelope schema's message stands for the path's account id. */
const ACCOUNT_PLACEHOLDER = '{account_id}';

const accountIdMessage = (issue: { input?: unknown }) =>
  `The account id in the path must be a positive integer, got "${String(issue.input)}".`;

/** The path's account id: a positive integer (ids in bodies are JSON numbers, so no leading zeros). */
export const accountIdParamSchema = z
  .string({ error: accountIdMessage })
  .regex(/^[1-9][0-9]*$/, { error: accountIdMessage })
  .refine((param) => Number.isSafeInteger(Number(param)), { error: accountIdMessage })
  .transform(Number)
  .meta({ description: 'The account id: a positive integer' });

/**
 * The body of `POST .../events`: a JSON object, the event (checked by validateEvent; the document
 * describes it with the events' own schema). Checked without copying: the event is published as sent.
 */
export const eventBodySchema = z.custom<Record<string, unknown>>(isObject, {
  error: (issue) =>
    `The request body must be a JSON object holding one event, got ${jsonType(issue.input)}${
      Array.isArray(issue.input)
        ? `; post several events as {"events": [...]} to /api/v1/accounts/${ACCOUNT_PLACEHOLDER}/events/batch`
        : ''
    }.`,
});

const NO_EVENTS_FIELD = 'The request body must be a JSON object {"events": [...]}; it has no "events" field.';

/**
 * The body of `POST .../events/batch`: `{"events": [...]}` and nothing else, 1 to `maxEvents` events
 * (no upper bound when omitted: the document's, since the limit is configured). `event` is the
 * schema of each event: any value for the parser (each event then goes through validateEvent), the
 * events' schema for the document.
 */
export function batchBodySchema<E extends z.ZodType>(event: E, maxEvents?: number) {
  const notArray = (issue: { input?: unknown }) =>
    issue.input === undefined
      ? NO_EVENTS_FIELD
      : `"events" must be an array of events, got ${jsonType(issue.input)}.`;
  const events = z
    .array(event, { error: notArray })
    .min(1, { error: '"events" is empty; send at least one event.' });
  return z.strictObject(
    {
      events:
        maxEvents === undefined
          ? events.meta({ description: 'At most MAX_BATCH_EVENTS events (500 unless configured)' })
          : events.max(maxEvents, {
              error: (issue) =>
                `The batch holds ${(issue.input as unknown[]).length} events, more than the limit of ${maxEvents}; split it into several requests.`,
            }),
    },
    {
      error: (issue) => {
        if (issue.code === 'unrecognized_keys')
          return `The request body has the unknown field ${JSON.stringify(issue.keys[0])}; a batch body holds only "events".`;
        return Array.isArray(issue.input)
          ? 'The request body must be a JSON object {"events": [...]}, got an array; wrap the array as {"events": [...]}.'
          : `The request body must be a JSON object {"events": [...]}, got ${jsonType(issue.input)}.`;
      },
    },
  );
}

/**
 * An event nesting at most `maxDepth` levels. Checked before anything else reads it: JSON.stringify
 * recurses, and serialising an event nested thousands deep overflows the stack. The issue carries
 * the deepest container's path as `params.field`.
 */
export function eventDepthSchema(maxDepth: number) {
  return z.unknown().superRefine((value, ctx) => {
    const tooDeep = jsonDepthProblem(value, maxDepth);
    if (tooDeep) ctx.addIssue({ code: 'custom', message: tooDeep.message, params: { field: tooDeep.field } });
  });
}

/** One event for account `accountParam`: `POST /api/v1/accounts/:account_id/events`. */
export function parseEventRequest(
  accountParam: string,
  body: RawBody,
  maxDepth: number = MAX_EVENT_DEPTH,
): Parsed<VowChatEvent> {
  const accountId = parseAccountId(accountParam);
  if (!accountId.ok) return accountId;
  const json = parseJson(body);
  if (!json.ok) return json;
  const envelope = eventBodySchema.safeParse(json.value);
  if (!envelope.success)
    return refuse(400, 'invalid_body', withAccount(envelope.error.issues[0].message, accountId.value));
  const sent = envelope.data;
  const checked = checkEvent(sent, accountId.value, '', maxDepth);
  if (checked.ok) return { ok: true, value: checked.event };
  const problems = checked.problems;
  switch (checked.kind) {
    case 'unknown_event':
      return refuse(422, 'unknown_event', `Unknown event: ${describeProblems(problems)}.`, problems);
    case 'account_mismatch': {
      const bodyId = (sent.account as { id: number }).id;
      return refuse(
        422,
        'account_mismatch',
        `The path names account ${accountId.value} but account.id in the body is ${bodyId}; post the event to /api/v1/accounts/${bodyId}/events or correct account.id.`,
        problems,
      );
    }
    case 'invalid_event':
      return refuse(
        422,
        'invalid_event',
        // Only a known name is quoted: `event` may be anything, even an array too deep to print.
        `The ${isEventType(sent.event) ? `${sent.event} ` : ''}event is not valid: ${describeProblems(problems)}.`,
        problems,
      );
  }
}

/**
 * Many events for one account: `POST /api/v1/accounts/:account_id/events/batch` with
 * `{"events": [...]}`. All-or-nothing: one bad event refuses the whole batch.
 */
export function parseBatchRequest(
  accountParam: string,
  body: RawBody,
  maxEvents: number,
  maxDepth: number = MAX_EVENT_DEPTH,
): Parsed<VowChatEvent[]> {
  const accountId = parseAccountId(accountParam);
  if (!accountId.ok) return accountId;
  const json = parseJson(body);
  if (!json.ok) return json;
  const envelope = batchSchema(maxEvents).safeParse(json.value);
  if (!envelope.success) return { ok: false, error: batchRefusal(envelope.error, accountId.value) };
  // The body's own array, not zod's copy: each event is published as sent.
  const items = (json.value as { events: unknown[] }).events;

  const problems: FieldProblem[] = [];
  const kinds = new Set<RefusalKind>();
  const events: VowChatEvent[] = [];
  items.forEach((item, index) => {
    const checked = checkEvent(item, accountId.value, `events[${index}]`, maxDepth);
    if (checked.ok) events.push(checked.event);
    else {
      problems.push(...checked.problems);
      kinds.add(checked.kind);
    }
  });
  const refused = items.length - events.length;
  if (refused === 0) return { ok: true, value: events };
  // One code for the request: the refusals' common kind, or invalid_event when they differ.
  const code = kinds.size === 1 ? [...kinds][0] : 'invalid_event';
  const what =
    code === 'account_mismatch'
      ? `belong to another account than the path's account ${accountId.value}`
      : 'were refused';
  return refuse(
    422,
    code,
    `${refused} of ${items.length} events ${what}, so none was published: ${describeProblems(problems)}.`,
    problems,
  );
}

/** The path's account id: a positive integer (ids in bodies are JSON numbers, so no leading zeros). */
export function parseAccountId(param: string): Parsed<number> {
  const parsed = accountIdParamSchema.safeParse(param);
  if (parsed.success) return { ok: true, value: parsed.data };
  return refuse(400, 'invalid_account_id', parsed.error.issues[0].message);
}

type RefusalKind = 'unknown_event' | 'invalid_event' | 'account_mismatch';
type CheckedEvent =
  { ok: true; event: VowChatEvent } | { ok: false; kind: RefusalKind; problems: FieldProblem[] };

/** Validates one event and checks it belongs to the path's account; fields are prefixed for batches. */
function checkEvent(input: unknown, accountId: number, prefix: string, maxDepth: number): CheckedEvent {
  // Before anything else reads it: serialising an event nested thousands deep overflows the stack.
  const depth = depthSchema(maxDepth).safeParse(input);
  if (!depth.success) {
    const [tooDeep] = depth.error.issues as z.core.$ZodIssueCustom[];
    const field = String(tooDeep.params?.field ?? '(root)');
    return {
      ok: false,
      kind: 'invalid_event',
      problems: [{ field: prefixed(prefix, field), message: tooDeep.message }],
    };
  }
  const result = validateEvent(input);
  const problems = result.ok ? [] : result.problems.map((p) => ({ ...p, field: prefixed(prefix, p.field) }));
  const bodyAccountId = isObject(input) && isObject(input.account) ? input.account.id : undefined;
  const mismatch = Number.isSafeInteger(bodyAccountId) && bodyAccountId !== accountId;
  if (mismatch) {
    problems.push({
      field: prefixed(prefix, 'account.id'),
      message: `is ${String(bodyAccountId)}, but the path names account ${accountId}`,
    });
  }
  if (result.ok && !mismatch) return { ok: true, event: result.event };
  const kind: RefusalKind =
    isObject(input) && !isEventType(input.event)
      ? 'unknown_event'
      : result.ok
        ? 'account_mismatch'
        : 'invalid_event';
  return { ok: false, kind, problems };
}

/**
 * The one refusal of a batch body the schema refused, in the order a client should fix things: not
 * an object, no "events" (a single event posted here is named as such), unknown fields, then
 * "events" itself (too many is its own code).
 */
function batchRefusal(error: z.ZodError, accountId: number): ErrorResponse {
  const bad = (message: string) => errorResponse(400, 'invalid_body', message);
  const root = error.issues.find((i) => i.path.length === 0 && i.code !== 'unrecognized_keys');
  if (root) return bad(root.message);
  const unknown = error.issues.find((i) => i.code === 'unrecognized_keys');
  const events = error.issues.find((i) => i.path[0] === 'events');
  if (events?.message === NO_EVENTS_FIELD && unknown?.keys.includes('event'))
    return bad(
      `The request body looks like a single event; post it to /api/v1/accounts/${accountId}/events, or wrap it as {"events": [...]}.`,
    );
  if (events?.message === NO_EVENTS_FIELD) return bad(events.message);
  if (unknown) return bad(unknown.message);
  if (events?.code === 'too_big') return errorResponse(400, 'too_many_events', events.message);
  return bad(events?.message ?? 'The request body must be a JSON object {"events": [...]}.');
}

// The schemas of the configured limits, built once per limit rather than per request.
const batchSchemas = new Map<number, ReturnType<typeof batchBodySchema<z.ZodUnknown>>>();
function batchSchema(maxEvents: number) {
  let schema = batchSchemas.get(maxEvents);
  if (!schema) batchSchemas.set(maxEvents, (schema = batchBodySchema(z.unknown(), maxEvents)));
  return schema;
}
const depthSchemas = new Map<number, ReturnType<typeof eventDepthSchema>>();
function depthSchema(maxDepth: number) {
  let schema = depthSchemas.get(maxDepth);
  if (!schema) depthSchemas.set(maxDepth, (schema = eventDepthSchema(maxDepth)));
  return schema;
}

function withAccount(message: string, accountId: number): string {
  return message.replaceAll(ACCOUNT_PLACEHOLDER, String(accountId));
}

function parseJson(body: RawBody): Parsed<unknown> {
  // Decoding would replace bad bytes with U+FFFD, and the event published would not be the one sent.
  if (Buffer.isBuffer(body) && !isUtf8(body))
    return refuse(
      400,
      'invalid_json',
      'The request body is not valid UTF-8; send the JSON encoded as UTF-8.',
    );
  const text = (typeof body === 'string' ? body : (body?.toString('utf8') ?? '')).replace(/^\uFEFF/, '');
  if (text.trim() === '')
    return refuse(400, 'invalid_json', 'The request body is empty; send the event as a JSON object.');
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return refuse(400, 'invalid_json', `The request body is not valid JSON (${(error as Error).message}).`);
  }
}

function refuse(status: number, code: string, message: string, problems?: FieldProblem[]): Parsed<never> {
  return { ok: false, error: errorResponse(status, code, message, problems) };
}

function prefixed(prefix: string, field: string): string {
  if (prefix === '') return field;
  if (field.startsWith('[')) return prefix + field;
  return field === '(root)' ? prefix : `${prefix}.${field}`;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
