// From delivery-topic records to the rows of the Postgres projection. Pure: the projector and the
// rebuild command both call it, so a replay writes exactly what live projection wrote.
import {
  DEFERRAL_REASONS,
  ENDPOINT_LIFECYCLE_STATES,
  EVENT_TYPES,
  FAILURE_CLASSES,
  LIFECYCLE_TRANSITION_TYPES,
  type AttemptOutcome,
  type AttemptRecord,
  type BreakerState,
  type DeferralRecord,
  type DeliveryTopicRecord,
  type EventType,
  type FailureClass,
} from '@vowchat/events';
import { FAILURE_CLASS_OF, failureFromStatus, isFailureReason } from '../delivery/delivery-error';

export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ['delivered', 'retrying', 'failed', 'dead'];
const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half_open'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT4_MAX = 2_147_483_647;

export type DecodedDeliveryRecord = { ok: true; record: DeliveryTopicRecord } | { ok: false; reason: string };

/**
 * Parses and checks one delivery-topic value. Everything a column could refuse is checked here, so
 * a bad record is skipped with a reason instead of failing (and endlessly retrying) its batch.
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
  const r = parsed as Record<string, unknown>;
  const problems = new Checker(r);
  switch (r.kind) {
    case 'attempt':
      problems.uuid('attempt_id').uuid('delivery_id').uuid('event_id').uuid('webhook_id').accountId();
      problems
        .oneOf('event_type', EVENT_TYPES)
        .int('attempt', 1, INT4_MAX)
        .oneOf('outcome', ATTEMPT_OUTCOMES);
      problems.intOrNull('status_code', 0, INT4_MAX).int('duration_ms', 0, INT4_MAX);
      problems.textOrNull('error').textOrNull('response_body').textOrNull('payload');
      problems.timeOrNull('next_attempt_at').time('started_at').time('finished_at');
      problems.oneOfOrNull('failure_class', FAILURE_CLASSES).timeOrNull('event_published_at');
      break;
    case 'deferral':
      problems.uuid('deferral_id').uuid('delivery_id').uuid('webhook_id').accountId();
      problems.oneOf('event_type', EVENT_TYPES).int('attempt', 1, INT4_MAX);
      problems.oneOf('reason', DEFERRAL_REASONS).time('at');
      break;
    case 'breaker_state':
      problems.uuid('webhook_id').accountId().oneOf('state', BREAKER_STATES).time('at');
      break;
    case 'webhook_state':
      problems.uuid('webhook_id').accountId().bool('enabled').text('reason').time('at');
      break;
    case 'endpoint_lifecycle':
      problems.uuid('transition_id').uuid('webhook_id').accountId();
      problems.oneOf('type', LIFECYCLE_TRANSITION_TYPES).oneOf('state', ENDPOINT_LIFECYCLE_STATES);
      problems.timeOrNull('failing_since').timeOrNull('disable_at').int('consecutive_failures', 0, INT4_MAX);
      problems.intOrNull('last_status_code', 0, INT4_MAX).textOrNull('last_error').textOrNull('reason');
      problems.time('at');
      break;
    default:
      return { ok: false, reason: `unknown record kind ${JSON.stringify(r.kind)}` };
  }
  if (problems.found.length > 0)
    return { ok: false, reason: `invalid ${String(r.kind)} record: ${problems.found.join('; ')}` };
  return { ok: true, record: parsed as DeliveryTopicRecord };
}

/** A record with its place in the topic (state events are keyed by it). */
export interface PositionedRecord {
  partition: number;
  offset: string;
  record: DeliveryTopicRecord;
}

/** A `delivery_attempts` row: the attempt record without its kind and payload, times as Dates. */
export type AttemptRow = Omit<
  AttemptRecord,
  | 'kind'
  | 'payload'
  | 'next_attempt_at'
  | 'started_at'
  | 'finished_at'
  | 'failure_class'
  | 'event_published_at'
> & {
  next_attempt_at: Date | null;
  started_at: Date;
  finished_at: Date;
  /** Derived from status and error for records written before the field existed. */
  failure_class: FailureClass | null;
  event_published_at: Date | null;
};

/** A `delivery_deferrals` row. */
export type DeferralRow = Omit<DeferralRecord, 'kind' | 'at'> & { at: Date };

/** One delivery's summary: its latest attempt, plus when it started and the payload to redeliver. */
export interface DeliveryRow {
  delivery_id: string;
  event_id: string;
  webhook_id: string;
  account_id: number;
  event_type: EventType;
  outcome: AttemptOutcome;
  /** The latest attempt's number. */
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  payload: string | null;
  first_attempt_at: Date;
  last_attempt_at: Date;
}

export interface StateEventRow {
  source_partition: number;
  source_offset: string;
  kind: 'breaker_state' | 'webhook_state' | 'endpoint_lifecycle';
  webhook_id: string;
  account_id: number;
  /** A breaker state, `enabled` / `disabled`, or a lifecycle state (lifecycle/endpoint-lifecycle.ts). */
  state: string;
  reason: string | null;
  at: Date;
}

export interface ProjectionRows {
  attempts: AttemptRow[];
  deliveries: DeliveryRow[];
  stateEvents: StateEventRow[];
  deferrals: DeferralRow[];
}

/** The rows for a batch of records: attempts once per id, one summary per delivery, every state event. */
export function toProjectionRows(records: readonly PositionedRecord[]): ProjectionRows {
  const attempts = new Map<string, AttemptRow>();
  const deliveries = new Map<string, DeliveryRow>();
  const stateEvents: StateEventRow[] = [];
  const deferrals = new Map<string, DeferralRow>();
  for (const { partition, offset, record } of records) {
    switch (record.kind) {
      case 'attempt': {
        if (attempts.has(record.attempt_id)) break; // a replayed record: already counted
        const row = attemptRow(record);
        attempts.set(row.attempt_id, row);
        const known = deliveries.get(row.delivery_id);
        deliveries.set(
          row.delivery_id,
          known ? mergeDelivery(known, deliveryRow(row, record.payload)) : deliveryRow(row, record.payload),
        );
        break;
      }
      case 'breaker_state':
        stateEvents.push({
          source_partition: partition,
          source_offset: offset,
          kind: 'breaker_state',
          webhook_id: record.webhook_id,
          account_id: record.account_id,
          state: record.state,
          reason: null,
          at: new Date(record.at),
        });
        break;
      case 'webhook_state':
        stateEvents.push({
          source_partition: partition,
          source_offset: offset,
          kind: 'webhook_state',
          webhook_id: record.webhook_id,
          account_id: record.account_id,
          state: record.enabled ? 'enabled' : 'disabled',
          reason: clean(record.reason),
          at: new Date(record.at),
        });
        break;
      case 'endpoint_lifecycle':
        // The transition is decided (and kept) by the lifecycle (lifecycle/lifecycle.store.ts); this
        // row is its history beside the other state events, rebuilt with them from the topic.
        stateEvents.push({
          source_partition: partition,
          source_offset: offset,
          kind: 'endpoint_lifecycle',
          webhook_id: record.webhook_id,
          account_id: record.account_id,
          state: record.state,
          reason: clean(record.reason === null ? record.type : `${record.type}: ${record.reason}`),
          at: new Date(record.at),
        });
        break;
      case 'deferral': {
        const row = deferralRow(record);
        deferrals.set(row.deferral_id, row);
        break;
      }
      default: {
        const unknown: never = record;
        throw new Error(`unhandled delivery record ${JSON.stringify(unknown)}`);
      }
    }
  }
  // Rows in key order, so concurrent writers (live projection and a rebuild) lock them in the same order.
  return {
    attempts: [...attempts.values()].sort((a, b) => compare(a.attempt_id, b.attempt_id)),
    deliveries: [...deliveries.values()].sort((a, b) => compare(a.delivery_id, b.delivery_id)),
    stateEvents,
    deferrals: [...deferrals.values()].sort((a, b) => compare(a.deferral_id, b.deferral_id)),
  };
}

/**
 * Latest wins: the higher attempt number, then the later finish. A tie keeps what is there, so the
 * result does not depend on how records fall into batches. Mirrored by the upsert in SQL.
 */
export function isNewerAttempt(
  candidate: Pick<DeliveryRow, 'attempts' | 'last_attempt_at'>,
  current: Pick<DeliveryRow, 'attempts' | 'last_attempt_at'>,
): boolean {
  if (candidate.attempts !== current.attempts) return candidate.attempts > current.attempts;
  return candidate.last_attempt_at.getTime() > current.last_attempt_at.getTime();
}

/** Folds a second summary of the same delivery into the first, whatever order they came in. */
export function mergeDelivery(current: DeliveryRow, next: DeliveryRow): DeliveryRow {
  const [newer, older] = isNewerAttempt(next, current) ? [next, current] : [current, next];
  return {
    ...newer,
    // Only terminal attempts carry the payload; keep it once known so the delivery can be redelivered.
    payload: newer.payload ?? older.payload,
    first_attempt_at:
      newer.first_attempt_at < older.first_attempt_at ? newer.first_attempt_at : older.first_attempt_at,
  };
}

function attemptRow(r: AttemptRecord): AttemptRow {
  return {
    attempt_id: r.attempt_id.toLowerCase(),
    delivery_id: r.delivery_id.toLowerCase(),
    event_id: r.event_id.toLowerCase(),
    webhook_id: r.webhook_id.toLowerCase(),
    account_id: r.account_id,
    event_type: r.event_type,
    attempt: r.attempt,
    outcome: r.outcome,
    status_code: r.status_code ?? null,
    duration_ms: r.duration_ms,
    error: clean(r.error),
    response_body: clean(r.response_body),
    next_attempt_at: r.next_attempt_at == null ? null : new Date(r.next_attempt_at),
    started_at: new Date(r.started_at),
    finished_at: new Date(r.finished_at),
    failure_class:
      r.failure_class === undefined || (r.failure_class === null && r.outcome !== 'delivered')
        ? derivedFailureClass(r.outcome, r.status_code ?? null, r.error)
        : r.failure_class,
    event_published_at: r.event_published_at == null ? null : new Date(r.event_published_at),
  };
}

function deferralRow(r: DeferralRecord): DeferralRow {
  return {
    deferral_id: r.deferral_id.toLowerCase(),
    delivery_id: r.delivery_id.toLowerCase(),
    webhook_id: r.webhook_id.toLowerCase(),
    account_id: r.account_id,
    event_type: r.event_type,
    attempt: r.attempt,
    reason: r.reason,
    at: new Date(r.at),
  };
}

/**
 * The failure class of an attempt recorded before records carried one: its `error` was the
 * failure's reason code (or "internal error: ..."), its status the answer's.
 */
export function derivedFailureClass(
  outcome: AttemptOutcome,
  statusCode: number | null,
  error: string | null,
): FailureClass | null {
  if (outcome === 'delivered') return null;
  if (error !== null && isFailureReason(error)) return FAILURE_CLASS_OF[error];
  const failure = statusCode === null ? null : failureFromStatus(statusCode);
  return failure === null ? 'internal' : FAILURE_CLASS_OF[failure.reason];
}

function deliveryRow(a: AttemptRow, payload: string | null): DeliveryRow {
  return {
    delivery_id: a.delivery_id,
    event_id: a.event_id,
    webhook_id: a.webhook_id,
    account_id: a.account_id,
    event_type: a.event_type,
    outcome: a.outcome,
    attempts: a.attempt,
    last_status_code: a.status_code,
    last_error: a.error,
    next_attempt_at: a.next_attempt_at,
    payload: clean(payload),
    first_attempt_at: a.started_at,
    last_attempt_at: a.finished_at,
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Postgres text cannot hold NUL, and a receiver's truncated answer may contain one; nor can its
// JSON parser take a lone UTF-16 surrogate (the rows reach Postgres as one JSON document).
function clean(text: string | null | undefined): string | null {
  return text == null ? null : text.replace(/\u0000/g, '\uFFFD').toWellFormed();
}

/** Collects one problem per bad field, naming the field and what it should be. */
class Checker {
  readonly found: string[] = [];

  constructor(private readonly r: Record<string, unknown>) {}

  uuid(field: string): this {
    const v = this.r[field];
    if (typeof v !== 'string' || !UUID.test(v)) this.found.push(`${field} must be a UUID, got ${show(v)}`);
    return this;
  }

  accountId(): this {
    const v = this.r.account_id;
    if (!Number.isSafeInteger(v) || (v as number) < 0)
      this.found.push(`account_id must be a non-negative integer, got ${show(v)}`);
    return this;
  }

  int(field: string, min: number, max: number): this {
    const v = this.r[field];
    if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
      this.found.push(`${field} must be an integer from ${min} to ${max}, got ${show(v)}`);
    }
    return this;
  }

  // Nullable fields may also be absent (records written before the field existed).
  intOrNull(field: string, min: number, max: number): this {
    return this.r[field] == null ? this : this.int(field, min, max);
  }

  oneOf(field: string, allowed: readonly string[]): this {
    const v = this.r[field];
    if (typeof v !== 'string' || !allowed.includes(v))
      this.found.push(`${field} must be one of ${allowed.join(', ')}, got ${show(v)}`);
    return this;
  }

  text(field: string): this {
    if (typeof this.r[field] !== 'string')
      this.found.push(`${field} must be a string, got ${show(this.r[field])}`);
    return this;
  }

  textOrNull(field: string): this {
    return this.r[field] == null ? this : this.text(field);
  }

  bool(field: string): this {
    if (typeof this.r[field] !== 'boolean')
      this.found.push(`${field} must be true or false, got ${show(this.r[field])}`);
    return this;
  }

  time(field: string): this {
    const v = this.r[field];
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v)))
      this.found.push(`${field} must be an ISO-8601 time, got ${show(v)}`);
    return this;
  }

  oneOfOrNull(field: string, allowed: readonly string[]): this {
    return this.r[field] == null ? this : this.oneOf(field, allowed);
  }

  timeOrNull(field: string): this {
    return this.r[field] == null ? this : this.time(field);
  }
}

function show(v: unknown): string {
  const text = v === undefined ? 'nothing' : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
