// From an HTTP request (path account id + raw body) to the events to publish, or the precise error
// to answer. Pure: every rule of the ingestion API is decided here and tested beside it.
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
import { errorResponse, type ErrorResponse } from '../http/api-error';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: ErrorResponse };

/** The raw body as the body parser leaves it: bytes, or nothing when the request had no body. */
export type RawBody = Buffer | string | undefined;

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
  if (!isObject(json.value)) {
    const hint = Array.isArray(json.value)
      ? `; post several events as {"events": [...]} to /api/v1/accounts/${accountId.value}/events/batch`
      : '';
    return refuse(
      400,
      'invalid_body',
      `The request body must be a JSON object holding one event, got ${jsonType(json.value)}${hint}.`,
    );
  }
  const checked = checkEvent(json.value, accountId.value, '', maxDepth);
  if (checked.ok) return { ok: true, value: checked.event };
  const problems = checked.problems;
  switch (checked.kind) {
    case 'unknown_event':
      return refuse(422, 'unknown_event', `Unknown event: ${describeProblems(problems)}.`, problems);
    case 'account_mismatch': {
      const bodyId = (json.value.account as { id: number }).id;
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
        `The ${isEventType(json.value.event) ? `${json.value.event} ` : ''}event is not valid: ${describeProblems(problems)}.`,
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
  const shape = batchShapeError(json.value, accountId.value, maxEvents);
  if (shape) return { ok: false, error: shape };
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
  const value = Number(param);
  if (/^[1-9][0-9]*$/.test(param) && Number.isSafeInteger(value)) return { ok: true, value };
  return refuse(
    400,
    'invalid_account_id',
    `The account id in the path must be a positive integer, got "${param}".`,
  );
}

type RefusalKind = 'unknown_event' | 'invalid_event' | 'account_mismatch';
type CheckedEvent =
  { ok: true; event: VowChatEvent } | { ok: false; kind: RefusalKind; problems: FieldProblem[] };

/** Validates one event and checks it belongs to the path's account; fields are prefixed for batches. */
function checkEvent(input: unknown, accountId: number, prefix: string, maxDepth: number): CheckedEvent {
  // Before anything else reads it: serialising an event nested thousands deep overflows the stack.
  const tooDeep = jsonDepthProblem(input, maxDepth);
  if (tooDeep)
    return {
      ok: false,
      kind: 'invalid_event',
      problems: [{ ...tooDeep, field: prefixed(prefix, tooDeep.field) }],
    };
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

function batchShapeError(value: unknown, accountId: number, maxEvents: number): ErrorResponse | undefined {
  const bad = (message: string) => errorResponse(400, 'invalid_body', message);
  if (Array.isArray(value))
    return bad(
      'The request body must be a JSON object {"events": [...]}, got an array; wrap the array as {"events": [...]}.',
    );
  if (!isObject(value))
    return bad(`The request body must be a JSON object {"events": [...]}, got ${jsonType(value)}.`);
  if (!('events' in value) && 'event' in value)
    return bad(
      `The request body looks like a single event; post it to /api/v1/accounts/${accountId}/events, or wrap it as {"events": [...]}.`,
    );
  if (!('events' in value))
    return bad('The request body must be a JSON object {"events": [...]}; it has no "events" field.');
  const unknown = Object.keys(value).filter((k) => k !== 'events');
  if (unknown.length > 0)
    return bad(
      `The request body has the unknown field ${JSON.stringify(unknown[0])}; a batch body holds only "events".`,
    );
  const { events } = value;
  if (!Array.isArray(events)) return bad(`"events" must be an array of events, got ${jsonType(events)}.`);
  if (events.length === 0) return bad('"events" is empty; send at least one event.');
  if (events.length > maxEvents)
    return errorResponse(
      400,
      'too_many_events',
      `The batch holds ${events.length} events, more than the limit of ${maxEvents}; split it into several requests.`,
    );
  return undefined;
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
