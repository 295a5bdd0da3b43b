// What the delivery topic carries: one record per attempt, per breaker state change and per webhook
// enable/disable. Postgres holds a projection of these; anyone may consume them (dashboards, audits).
import type { EventType } from './event-types';

/**
 * delivered: 2xx. retrying: a retriable failure with another attempt scheduled. failed: a
 * non-retriable answer (4xx other than 408/429, a redirect). dead: retriable, but attempts ran out.
 */
export type AttemptOutcome = 'delivered' | 'retrying' | 'failed' | 'dead';

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
  /**
   * True when the payload was left out because the record would not fit the delivery topic's size
   * limit with it (an event near the limit): it cannot be redelivered through the API; the event
   * is still on its own topic.
   */
  payload_omitted?: boolean;
  /**
   * Null when delivered. Absent in records written before it existed: readers derive it from
   * `status_code` and `error` (outcomes/projection-rows.ts).
   */
  failure_class?: FailureClass | null;
  /**
   * The source event's Kafka timestamp (ISO), the start of end-to-end latency; null for a
   * redelivery through the API, absent in records written before it existed.
   */
  event_published_at?: string | null;
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
export interface DeferralRecord {
  kind: 'deferral';
  deferral_id: string;
  delivery_id: string;
  webhook_id: string;
  account_id: number;
  event_type: EventType;
  attempt: number;
  reason: DeferralReason;
  at: string;
}

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
export interface EndpointLifecycleRecord {
  kind: 'endpoint_lifecycle';
  transition_id: string;
  type: LifecycleTransitionType;
  webhook_id: string;
  account_id: number;
  /** The state the transition leads to. */
  state: EndpointLifecycleState;
  /** The first failed attempt of the current run of failures; null once recovered or re-enabled. */
  failing_since: string | null;
  /** When the webhook is (or was to be) disabled automatically; null unless failing. */
  disable_at: string | null;
  consecutive_failures: number;
  last_status_code: number | null;
  last_error: string | null;
  /** Why it was disabled (endpoint.disabled only). */
  reason: string | null;
  at: string;
}

export type DeliveryTopicRecord =
  AttemptRecord | BreakerStateRecord | WebhookStateRecord | DeferralRecord | EndpointLifecycleRecord;
