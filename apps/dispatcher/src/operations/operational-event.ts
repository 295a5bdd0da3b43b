// The bodies of operational webhooks (Svix's shape: `{type, timestamp, data}`). Pure.
import type { EndpointLifecycleRecord, OperationalEvent } from '@vowchat/events';
import { redactUrl } from '@vowchat/platform';
import type { AttemptRow } from '../outcomes/projection-rows';

/** An endpoint lifecycle transition, as the account's operations endpoint receives it. */
export function lifecycleEvent(record: EndpointLifecycleRecord, webhookUrl: string | null): OperationalEvent {
  return {
    type: record.type,
    timestamp: record.at,
    data: {
      webhook_id: record.webhook_id,
      account_id: record.account_id,
      url: webhookUrl === null ? null : redactUrl(webhookUrl),
      state: record.state,
      failing_since: record.failing_since,
      disable_at: record.disable_at,
      consecutive_failures: record.consecutive_failures,
      last_status_code: record.last_status_code,
      last_error: record.last_error,
      ...(record.reason === null ? {} : { reason: record.reason }),
    },
  };
}

/** A delivery whose last attempt ran out of retries (`message.attempt.exhausted`). */
export function attemptExhaustedEvent(attempt: AttemptRow, webhookUrl: string | null): OperationalEvent {
  return {
    type: 'message.attempt.exhausted',
    timestamp: attempt.finished_at.toISOString(),
    data: {
      webhook_id: attempt.webhook_id,
      account_id: attempt.account_id,
      url: webhookUrl === null ? null : redactUrl(webhookUrl),
      delivery_id: attempt.delivery_id,
      event_id: attempt.event_id,
      event_type: attempt.event_type,
      attempts: attempt.attempt,
      last_attempt: {
        attempt_id: attempt.attempt_id,
        at: attempt.finished_at.toISOString(),
        status_code: attempt.status_code,
        error: attempt.error,
      },
    },
  };
}
