// What the delivery topic carries: one record per attempt, per breaker state change and per webhook
// enable/disable. Postgres holds a projection of these; anyone may consume them (dashboards, audits).
// Each record is a schema, its type inferred from it; decodeDeliveryRecord checks a consumed value
// against them, naming every field a Postgres column would refuse.
import { z } from 'zod';
import { EVENT_TYPES } from './event-types';
import { problemsOf } from './schema';

/**
 * delivered: 2xx. retrying: a retriable failure with another attempt scheduled. failed: a
 * non-retriable answer (4xx other than 408/429, a redirect). dead: retriable, but attempts ran out.
 */
export const ATTEMPT_OUTCOMES = ['delivered', 'retrying', 'failed', 'dead'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** Why an attempt did not deliver, coarse enough for health rollups and metric labels. */
export const FAILURE_CLASSES = [
  'timeout',
  'connection',
  'http_4xx',
  'http_5xx',
  'throttled',
  'gone',
  'redirect',
  'internal',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT4_MAX = 2_147_483_647;

// Plain (not strict) objects: fields a newer build adds are not refused, and the decoder hands on
// the value as written, so they are not lost either. Each check names its field in its message (`attempt must be an integer from 1 to …, got 0`): the
// messages are joined into one dead record's reason.
const says = (field: string, what: string) => ({
  error: (issue: { input?: unknown }) => `${field} must be ${what}, got ${show(issue.input)}`,
});
const uuid = (field: string) => z.string(says(field, 'a UUID')).regex(UUID, says(field, 'a UUID'));
const accountId = () => {
  const m = says('account_id', 'a non-negative integer');
  return z.int(m).min(0, m);
};
const int = (field: string, min: number, max = INT4_MAX) => {
  const m = says(field, `an integer from ${min} to ${max}`);
  return z.number(m).refine(Number.isInteger, m).min(min, m).max(max, m);
};
const oneOf = <const T extends readonly [string, ...string[]]>(field: string, values: T) =>
  z.enum(values, says(field, `one of ${values.join(', ')}`));
const text = (field: string) => z.string(says(field, 'a string'));
const bool = (field: string) => z.boolean(says(field, 'true or false'));
const time = (field: string) =>
  z
    .string(says(field, 'an ISO-8601 time'))
    .refine((v) => !Number.isNaN(Date.parse(v)), says(field, 'an ISO-8601 time'));
// Nullable fields may also be absent (records written before the field existed); typed as null.
const orNull = <S extends z.ZodType>(schema: S) => schema.nullish().transform((v) => v ?? null);
// Fields added later: absent in older records, and typed so.
const later = <S extends z.ZodType>(schema: S) => schema.nullish();
const eventType = () => oneOf('event_type', EVENT_TYPES);

function show(v: unknown): string {
  const text = v === undefined ? 'nothing' : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export const attemptRecordSchema = z.object({
  kind: z.literal('attempt'),
  attempt_id: uuid('attempt_id'),
  delivery_id: uuid('delivery_id'),
  event_id: uuid('event_id'),
  webhook_id: uuid('webhook_id'),
  account_id: accountId(),
  event_type: eventType(),
  attempt: int('attempt', 1),
  outcome: oneOf('outcome', ATTEMPT_OUTCOMES),
  status_code: orNull(int('status_code', 0)),
  duration_ms: int('duration_ms', 0),
  error: orNull(text('error')),
  /** The response body, truncated to a small cap. */
  response_body: orNull(text('response_body')),
  /** The event body, kept on terminal failures so a delivery can be redelivered later. */
  payload: orNull(text('payload')),
  next_attempt_at: orNull(time('next_attempt_at')),
  started_at: time('started_at'),
  finished_at: time('finished_at'),
  /**
   * Null when delivered. Absent in records written before it existed: readers derive it from
   * `status_code` and `error` (outcomes/projection-rows.ts).
   */
  failure_class: later(oneOf('failure_class', FAILURE_CLASSES)),
  /**
   * The source event's Kafka timestamp (ISO), the start of end-to-end latency; null for a
   * redelivery through the API, absent in records written before it existed.
   */
  event_published_at: later(time('event_published_at')),
  /**
   * When the dispatcher took the event off its stream and routed it to this webhook (ISO): set on
   * the attempt made straight from the stream, null on one from the retry store or a redelivery,
   * absent in older records. Publish to routing is the platform's own wait, the SLO's signal;
   * what follows is the endpoint's (its lane, breaker, rate limit).
   */
  routed_at: later(time('routed_at')),
  /**
   * True when the payload was left out because the record would not fit the delivery topic's size
   * limit with it (an event near the limit): it cannot be redelivered through the API; the event
   * is still on its own topic. Not checked: nothing is stored from it.
   */
  payload_omitted: z.custom<boolean | undefined>(() => true).optional(),
});
export type AttemptRecord = z.infer<typeof attemptRecordSchema>;

export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

export const breakerStateRecordSchema = z.object({
  kind: z.literal('breaker_state'),
  webhook_id: uuid('webhook_id'),
  account_id: accountId(),
  state: oneOf('state', BREAKER_STATES),
  at: time('at'),
});
export type BreakerStateRecord = z.infer<typeof breakerStateRecordSchema>;

export const webhookStateRecordSchema = z.object({
  kind: z.literal('webhook_state'),
  /**
   * Derived from the webhook and the version the enable/disable brought it to, so a record
   * published twice (the outbox's fast path and its relay) is written once by the projection.
   * Absent in records written before it existed.
   */
  state_id: later(uuid('state_id')),
  webhook_id: uuid('webhook_id'),
  account_id: accountId(),
  enabled: bool('enabled'),
  reason: text('reason'),
  at: time('at'),
});
export type WebhookStateRecord = z.infer<typeof webhookStateRecordSchema>;

/**
 * Why a delivery was put off without an attempt. `rate_limited`: its endpoint's lane was full while
 * waiting for the endpoint's request rate (docs/decisions/0013-rate-limits.md).
 */
export const DEFERRAL_REASONS = ['breaker_open', 'endpoint_queue_full', 'rate_limited'] as const;
export type DeferralReason = (typeof DEFERRAL_REASONS)[number];

/**
 * A delivery put off without an attempt (it waits in the retry store). Not an attempt: the same
 * attempt number is made later. `deferral_id` makes a record written twice count once.
 */
export const deferralRecordSchema = z.object({
  kind: z.literal('deferral'),
  deferral_id: uuid('deferral_id'),
  delivery_id: uuid('delivery_id'),
  webhook_id: uuid('webhook_id'),
  account_id: accountId(),
  event_type: eventType(),
  attempt: int('attempt', 1),
  reason: oneOf('reason', DEFERRAL_REASONS),
  at: time('at'),
  /** As on attempts: set when the deferral was the delivery's first dispatch from the stream. */
  routed_at: later(time('routed_at')),
  /** The source event's Kafka timestamp, with `routed_at` the platform's wait. */
  event_published_at: later(time('event_published_at')),
});
export type DeferralRecord = z.infer<typeof deferralRecordSchema>;

/**
 * An endpoint's place in its health lifecycle: failing after consecutive failed attempts, warned
 * before an automatic disable, disabled (docs/decisions/0010-endpoint-lifecycle.md).
 */
export const ENDPOINT_LIFECYCLE_STATES = ['healthy', 'failing', 'disabling_soon', 'disabled'] as const;
export type EndpointLifecycleState = (typeof ENDPOINT_LIFECYCLE_STATES)[number];

/** The lifecycle's transitions, named as the operational webhooks that announce them. */
export const LIFECYCLE_TRANSITION_TYPES = [
  'endpoint.failing',
  'endpoint.recovered',
  'endpoint.disabling_soon',
  'endpoint.disabled',
] as const;
export type LifecycleTransitionType = (typeof LIFECYCLE_TRANSITION_TYPES)[number];

/**
 * One lifecycle transition of one webhook. `transition_id` is derived from the webhook, the type
 * and the failing episode, so a transition decided twice (a replay, two instances) is one record.
 */
export const endpointLifecycleRecordSchema = z.object({
  kind: z.literal('endpoint_lifecycle'),
  transition_id: uuid('transition_id'),
  webhook_id: uuid('webhook_id'),
  account_id: accountId(),
  type: oneOf('type', LIFECYCLE_TRANSITION_TYPES),
  /** The state the transition leads to. */
  state: oneOf('state', ENDPOINT_LIFECYCLE_STATES),
  /** The first failed attempt of the current run of failures; null once recovered or re-enabled. */
  failing_since: orNull(time('failing_since')),
  /** When the webhook is (or was to be) disabled automatically; null unless failing. */
  disable_at: orNull(time('disable_at')),
  consecutive_failures: int('consecutive_failures', 0),
  last_status_code: orNull(int('last_status_code', 0)),
  last_error: orNull(text('last_error')),
  /** Why it was disabled (endpoint.disabled only). */
  reason: orNull(text('reason')),
  at: time('at'),
});
export type EndpointLifecycleRecord = z.infer<typeof endpointLifecycleRecordSchema>;

export type DeliveryTopicRecord =
  AttemptRecord | BreakerStateRecord | WebhookStateRecord | DeferralRecord | EndpointLifecycleRecord;

const DELIVERY_RECORD_SCHEMAS = {
  attempt: attemptRecordSchema,
  breaker_state: breakerStateRecordSchema,
  webhook_state: webhookStateRecordSchema,
  deferral: deferralRecordSchema,
  endpoint_lifecycle: endpointLifecycleRecordSchema,
} as const satisfies Record<DeliveryTopicRecord['kind'], z.ZodType>;

export type DecodedDeliveryRecord = { ok: true; record: DeliveryTopicRecord } | { ok: false; reason: string };

/**
 * Parses and checks one delivery-topic value. Everything a column could refuse is checked, so a
 * bad record is skipped with a reason instead of failing (and endlessly retrying) its batch.
 */
export function decodeDeliveryRecord(value: Buffer | string | null): DecodedDeliveryRecord {
  if (value === null) return { ok: false, reason: 'value is empty (null)' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch (error) {
    return { ok: false, reason: `value is not JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'value is not a JSON object' };
  }
  const kind = (parsed as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !Object.hasOwn(DELIVERY_RECORD_SCHEMAS, kind))
    return { ok: false, reason: `unknown record kind ${JSON.stringify(kind)}` };
  const result = DELIVERY_RECORD_SCHEMAS[kind as DeliveryTopicRecord['kind']].safeParse(parsed);
  if (!result.success) {
    const problems = problemsOf(result.error).map((p) => p.message);
    return { ok: false, reason: `invalid ${kind} record: ${problems.join('; ')}` };
  }
  // The value as written, not zod's copy: fields this build does not know stay.
  return { ok: true, record: parsed as DeliveryTopicRecord };
}
