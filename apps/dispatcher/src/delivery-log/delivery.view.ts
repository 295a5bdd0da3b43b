// The API's JSON for deliveries and attempts: snake_case, times as ISO-8601 in UTC.
import type { AttemptOutcome, EventType } from '@vowchat/events';

/** A `deliveries` row as the list and detail queries select it. */
export interface DeliveryRow {
  delivery_id: string;
  event_id: string;
  event_type: EventType;
  outcome: AttemptOutcome;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  first_attempt_at: Date;
  last_attempt_at: Date;
}

/** A `delivery_attempts` row as the detail query selects it. */
export interface AttemptRow {
  attempt_id: string;
  attempt: number;
  outcome: AttemptOutcome;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_body: string | null;
  next_attempt_at: Date | null;
  started_at: Date;
  finished_at: Date;
}

export interface DeliveryView {
  delivery_id: string;
  event_id: string;
  event_type: EventType;
  outcome: AttemptOutcome;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  first_attempt_at: string;
  last_attempt_at: string;
}

export interface AttemptView {
  attempt_id: string;
  attempt: number;
  outcome: AttemptOutcome;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  /** The start of the endpoint's answer, truncated to the configured cap. */
  response_body: string | null;
  next_attempt_at: string | null;
  started_at: string;
  finished_at: string;
}

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
