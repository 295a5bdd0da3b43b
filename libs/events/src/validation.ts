// Runtime validation of published events. Each problem names the field (a dotted path) and what is
// wrong with it, so a producer can fix its payload without reading our source.
//
// The events' definition is their schemas (event-schema.ts); `validateEventBySchema` checks with
// them. `validateEvent` is the fast path of the dispatcher's decoder: the same rules written by
// hand, four times cheaper than zod per event (docs/decisions/0018-schemas.md), and held to the
// schemas by a property test (validation.property.spec.ts): same verdict, same problems.
import { EVENT_SCHEMAS } from './event-schema';
import { EVENT_TYPES, isEventType, type EventType } from './event-types';
import type { VowChatEvent } from './payloads';
import { problemsOf, type FieldProblem } from './schema';

export type ValidationResult = { ok: true; event: VowChatEvent } | { ok: false; problems: FieldProblem[] };

type Check = (value: unknown) => string | null;
type Shape = Record<string, Check>;

const integer: Check = (v) =>
  Number.isSafeInteger(v) && (v as number) > 0 ? null : 'must be a positive integer';
const text: Check = (v) => (typeof v === 'string' ? null : 'must be a string');
const nonEmptyText: Check = (v) =>
  typeof v === 'string' && v.trim() !== '' ? null : 'must be a non-empty string';
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'must be a boolean');
const plainObject: Check = (v) => (isRecord(v) ? null : 'must be an object');
const idLike: Check = (v) =>
  (typeof v === 'string' && v !== '') || integer(v) === null
    ? null
    : 'must be a positive integer or a non-empty string';
const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    typeof v === 'string' && allowed.includes(v) ? null : `must be one of ${allowed.join(', ')}`;
const nullable =
  (check: Check): Check =>
  (v) =>
    v === null ? null : check(v);
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined ? null : check(v);
const array: Check = (v) => (Array.isArray(v) ? null : 'must be an array');

const status = oneOf('open', 'resolved', 'pending', 'snoozed');
const account: Shape = { id: integer, name: text };
const person: Shape = { id: integer, name: text, email: optional(nullable(text)) };
const inbox: Shape = { id: integer, name: text };
const conversationSnapshot: Shape = {
  id: integer,
  inbox_id: optional(integer),
  status: optional(status),
  messages: optional(array),
  contact: optional(plainObject),
  inbox: optional(plainObject),
};

interface Spec {
  fields: Shape;
  nested: Record<string, { shape: Shape; optional?: boolean }>;
}

const messageSpec: Spec = {
  fields: {
    id: idLike,
    content: nullable(text),
    created_at: nonEmptyText,
    message_type: oneOf('incoming', 'outgoing', 'activity', 'template'),
    content_type: nonEmptyText,
    content_attributes: plainObject,
    source_id: nullable(text),
  },
  nested: {
    sender: { shape: person },
    conversation: { shape: { id: integer, inbox_id: integer, status } },
    account: { shape: account },
  },
};

const conversationSpec = (timestampField: string): Spec => ({
  fields: { id: integer, status, [timestampField]: nonEmptyText },
  nested: { conversation: { shape: conversationSnapshot }, account: { shape: account } },
});

const typingSpec: Spec = {
  fields: { is_private: bool },
  nested: {
    conversation: { shape: { id: integer, inbox_id: optional(integer) } },
    user: { shape: { id: integer, name: text, type: oneOf('user', 'contact') } },
    account: { shape: account },
  },
};

const SPECS: Record<EventType, Spec> = {
  conversation_created: conversationSpec('created_at'),
  conversation_updated: {
    ...conversationSpec('updated_at'),
    fields: { ...conversationSpec('updated_at').fields, changed_attributes: optional(plainObject) },
  },
  conversation_status_changed: conversationSpec('changed_at'),
  message_created: messageSpec,
  message_updated: { ...messageSpec, fields: { ...messageSpec.fields, updated_at: optional(nonEmptyText) } },
  webwidget_triggered: {
    fields: {
      id: integer,
      source_id: nullable(text),
      triggered_at: nonEmptyText,
      event_info: optional(plainObject),
    },
    nested: { contact: { shape: person }, inbox: { shape: inbox }, account: { shape: account } },
  },
  conversation_typing_on: typingSpec,
  conversation_typing_off: typingSpec,
};

/** Checks that `input` is one of the eight events with every required field of the right type. */
export function validateEvent(input: unknown): ValidationResult {
  const root = rootProblem(input);
  if (root) return { ok: false, problems: [root] };
  const event = input as Record<string, unknown> & { event: EventType };
  const spec = SPECS[event.event];
  const problems: FieldProblem[] = [];
  checkShape(event, spec.fields, '', problems);
  // for-in over the static specs, not Object.entries: no arrays allocated for every event.
  for (const name in spec.nested) {
    const nested = spec.nested[name];
    const value = event[name];
    if (value === undefined && nested.optional) continue;
    if (!isRecord(value))
      problems.push({ field: name, message: value === undefined ? 'is required' : 'must be an object' });
    else checkShape(value, nested.shape, `${name}.`, problems);
  }
  return problems.length === 0 ? { ok: true, event: input as VowChatEvent } : { ok: false, problems };
}

/** What validateEvent decides, decided by the events' schemas (the definition; slower). */
export function validateEventBySchema(input: unknown): ValidationResult {
  const root = rootProblem(input);
  if (root) return { ok: false, problems: [root] };
  const result = EVENT_SCHEMAS[(input as { event: EventType }).event].safeParse(input);
  // The input itself, not zod's copy: extra fields are delivered exactly as published.
  return result.success
    ? { ok: true, event: input as VowChatEvent }
    : { ok: false, problems: problemsOf(result.error) };
}

/** The input is an object naming a known event, or the one problem that says it is not. */
function rootProblem(input: unknown): FieldProblem | null {
  if (!isRecord(input)) return { field: '(root)', message: 'must be a JSON object' };
  if (isEventType(input.event)) return null;
  const got = input.event === undefined ? 'missing' : quoted(input.event);
  return { field: 'event', message: `is ${got}; must be one of ${EVENT_TYPES.join(', ')}` };
}

/** One line naming every problem, for error responses, logs and dead-letter reasons. */
export function describeProblems(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field} ${p.message}`).join('; ');
}

function checkShape(obj: Record<string, unknown>, shape: Shape, prefix: string, out: FieldProblem[]): void {
  for (const field in shape) {
    const check = shape[field];
    if (!(field in obj) && check(undefined) !== null) {
      out.push({ field: prefix + field, message: 'is required' });
      continue;
    }
    const problem = check(obj[field]);
    if (problem) out.push({ field: prefix + field, message: problem });
  }
}

// Not JSON.stringify of the value: an array nested thousands deep overflows it, and a huge string
// would be copied whole into every error message and dead-letter reason.
function quoted(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
