// What the delivery topic carries: one record per attempt, per breaker state change and per webhook
// enable/disable. Postgres holds a projection of these; anyone may consume them (dashboards, audits).
import type { EventType } from './event-types';

/**
 * delivered: 2xx. retrying: a retriable failure with another attempt scheduled. failed: a
 * non-retriable answer (4xx other than 408/429, a redirect). dead: retriable, but attempts ran out.
 */
export type AttemptOutcome = 'delivered' | 'retrying' | 'failed' | 'dead';

export interface AttemptRecord {
  kind: 'attempt';
  attempt_id: string;
  delivery_id: string;
  event_id: string;
  webhook_id: string;
  account_id: number;
  event_type: EventType;
  attempt: number;
  outcome: AttemptOutcome;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  /** The response body, truncated to a small cap. */
  response_body: string | null;
  next_attempt_at: string | null;
  started_at: string;
  finished_at: string;
  /** The event body, kept on terminal failures so a delivery can be redelivered later. */
  payload: string | null;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerStateRecord {
  kind: 'breaker_state';
  webhook_id: string;
  account_id: number;
  state: BreakerState;
  at: string;
}

export interface WebhookStateRecord {
  kind: 'webhook_state';
  webhook_id: string;
  account_id: number;
  enabled: boolean;
  reason: string;
  at: string;
}

export type DeliveryTopicRecord = AttemptRecord | BreakerStateRecord | WebhookStateRecord;
