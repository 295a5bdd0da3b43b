// From delivery-topic records to the rows of the Postgres projection. Pure: the projector and the
// rebuild command both call it, so a replay writes exactly what live projection wrote.
import {
  type AttemptOutcome,
  type AttemptRecord,
  type DeferralRecord,
  type DeliveryTopicRecord,
  type EventType,
  type FailureClass,
} from '@vowchat/events';
import { FAILURE_CLASS_OF, failureFromStatus, isFailureReason } from '../delivery/delivery-error';

// The delivery records' schemas and their decoder live with the records (libs/events); re-exported
// for the projector and the rebuild command, which read them from here.
export { ATTEMPT_OUTCOMES, decodeDeliveryRecord, type DecodedDeliveryRecord } from '@vowchat/events';

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
  | 'routed_at'
> & {
  next_attempt_at: Date | null;
  started_at: Date;
  finished_at: Date;
  /** Derived from status and error for records written before the field existed. */
  failure_class: FailureClass | null;
  event_published_at: Date | null;
  /**
   * Set on the delivery's first dispatch from the stream. An attempt 1 recorded before the field
   * existed gets its start instead (what the wait was measured to then).
   */
  routed_at: Date | null;
};

/** A `delivery_deferrals` row. */
export type DeferralRow = Omit<DeferralRecord, 'kind' | 'at' | 'routed_at' | 'event_published_at'> & {
  at: Date;
  routed_at: Date | null;
  event_published_at: Date | null;
};

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
  /**
   * The record's own id, when it has one (a webhook_state's `state_id`, a lifecycle transition's
   * `transition_id`): a record published twice is one event. Absent for breaker records and older
   * records, which are keyed by their position alone.
   */
  record_id?: string;
}

export interface ProjectionRows {
  attempts: AttemptRow[];
  deliveries: DeliveryRow[];
  stateEvents: StateEventRow[];
  deferrals: DeferralRow[];
}

/**
 * The rows for a batch of records: attempts once per id, one summary per delivery, every state
 * event (once per id, for those that have one).
 */
export function toProjectionRows(records: readonly PositionedRecord[]): ProjectionRows {
  const attempts = new Map<string, AttemptRow>();
  const deliveries = new Map<string, DeliveryRow>();
  const stateEvents: StateEventRow[] = [];
  const stateIds = new Set<string>();
  const addStateEvent = (row: StateEventRow) => {
    if (row.record_id !== undefined) {
      if (stateIds.has(row.record_id)) return; // published twice: already counted
      stateIds.add(row.record_id);
    }
    stateEvents.push(row);
  };
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
        addStateEvent({
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
        addStateEvent({
          source_partition: partition,
          source_offset: offset,
          kind: 'webhook_state',
          webhook_id: record.webhook_id,
          account_id: record.account_id,
          state: record.enabled ? 'enabled' : 'disabled',
          reason: clean(record.reason),
          at: new Date(record.at),
          record_id: record.state_id?.toLowerCase() ?? undefined,
        });
        break;
      case 'endpoint_lifecycle':
        // The transition is decided (and kept) by the lifecycle (lifecycle/lifecycle.store.ts); this
        // row is its history beside the other state events, rebuilt with them from the topic.
        addStateEvent({
          source_partition: partition,
          source_offset: offset,
          kind: 'endpoint_lifecycle',
          webhook_id: record.webhook_id,
          account_id: record.account_id,
          state: record.state,
          reason: clean(record.reason === null ? record.type : `${record.type}: ${record.reason}`),
          at: new Date(record.at),
          record_id: record.transition_id.toLowerCase(),
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
    routed_at:
      r.routed_at === undefined
        ? r.attempt === 1
          ? new Date(r.started_at)
          : null
        : r.routed_at === null
          ? null
          : new Date(r.routed_at),
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
    routed_at: r.routed_at == null ? null : new Date(r.routed_at),
    event_published_at: r.event_published_at == null ? null : new Date(r.event_published_at),
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
