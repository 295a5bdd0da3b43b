// The API's JSON for deliveries and attempts: snake_case, times as ISO-8601 in UTC.
import type {
  AttemptRow as AttemptTableRow,
  DeliveryRow as DeliveryTableRow,
} from '../outcomes/projection-rows';

/** A `deliveries` row as the list and detail queries select it. */
export type DeliveryRow = Omit<DeliveryTableRow, 'webhook_id' | 'account_id' | 'payload'>;

/** A `delivery_attempts` row as the detail query selects it. */
export type AttemptRow = Omit<
  AttemptTableRow,
  | 'delivery_id'
  | 'event_id'
  | 'webhook_id'
  | 'account_id'
  | 'event_type'
  // Health figures (issue 10), not part of the delivery log's answer.
  | 'failure_class'
  | 'event_published_at'
  | 'routed_at'
>;

/** A row as JSON: the same fields, times as ISO-8601 strings. */
type Json<Row> = {
  [K in keyof Row]: Row[K] extends Date ? string : Row[K] extends Date | null ? string | null : Row[K];
};

export type DeliveryView = Json<DeliveryRow>;

/** An attempt; `response_body` is the start of the endpoint's answer, truncated to the configured cap. */
export type AttemptView = Json<AttemptRow>;

/** One delivery with every attempt, in attempt order (the array replaces the list's count). */
export type DeliveryDetailView = Omit<DeliveryView, 'attempts'> & { attempts: AttemptView[] };

export function deliveryView(row: DeliveryRow): DeliveryView {
  return {
    delivery_id: row.delivery_id,
    event_id: row.event_id,
    event_type: row.event_type,
    outcome: row.outcome,
    attempts: row.attempts,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    next_attempt_at: iso(row.next_attempt_at),
    first_attempt_at: row.first_attempt_at.toISOString(),
    last_attempt_at: row.last_attempt_at.toISOString(),
  };
}

export function attemptView(row: AttemptRow): AttemptView {
  return {
    attempt_id: row.attempt_id,
    attempt: row.attempt,
    outcome: row.outcome,
    status_code: row.status_code,
    duration_ms: row.duration_ms,
    error: row.error,
    response_body: row.response_body,
    next_attempt_at: iso(row.next_attempt_at),
    started_at: row.started_at.toISOString(),
    finished_at: row.finished_at.toISOString(),
  };
}

function iso(time: Date | null): string | null {
  return time === null ? null : time.toISOString();
}
