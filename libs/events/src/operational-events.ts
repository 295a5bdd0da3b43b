// Operational webhooks: what VowChat tells an account about its own endpoints, delivered to the
// operations URL the account registers and signed like every other delivery (signature.ts). Shaped
// like Svix's operational webhooks: `{type, timestamp, data}`.
import type { EventType } from './event-types';
import type { EndpointLifecycleState, LifecycleTransitionType } from './delivery-records';

export const OPERATIONAL_EVENT_TYPES = [
  'endpoint.failing',
  'endpoint.recovered',
  'endpoint.disabling_soon',
  'endpoint.disabled',
  'message.attempt.exhausted',
] as const;
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

/** About one endpoint's lifecycle transition. */
export interface EndpointEventData {
  webhook_id: string;
  account_id: number;
  /** The webhook's URL without credentials, query or fragment. */
  url: string | null;
  state: EndpointLifecycleState;
  failing_since: string | null;
  disable_at: string | null;
  consecutive_failures: number;
  last_status_code: number | null;
  last_error: string | null;
  /** Why it was disabled (endpoint.disabled only). */
  reason?: string;
}

/** A delivery whose attempts ran out. */
export interface AttemptExhaustedData {
  webhook_id: string;
  account_id: number;
  url: string | null;
  delivery_id: string;
  event_id: string;
  event_type: EventType;
  attempts: number;
  last_attempt: {
    attempt_id: string;
    at: string;
    status_code: number | null;
    error: string | null;
  };
}

export type OperationalEvent =
  | { type: LifecycleTransitionType; timestamp: string; data: EndpointEventData }
  | { type: 'message.attempt.exhausted'; timestamp: string; data: AttemptExhaustedData };
