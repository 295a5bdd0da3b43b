// Which deliveries may be redelivered by hand, and the retry job a redelivery becomes. Pure.
import type { AttemptOutcome } from '@vowchat/events';
import type { DeliveryRow } from '../outcomes/projection-rows';
import type { DeliveryJob } from '../delivery/delivery-job';

/** Only deliveries that will not be tried again by themselves. */
export const REDELIVERABLE_OUTCOMES: readonly AttemptOutcome[] = ['failed', 'dead'];

/** What a redelivery needs to know of a delivery: a `deliveries` row, less its timestamps and last answer. */
export type RedeliveryCandidate = Pick<
  DeliveryRow,
  | 'delivery_id'
  | 'event_id'
  | 'webhook_id'
  | 'account_id'
  | 'event_type'
  | 'outcome'
  | 'attempts'
  | 'next_attempt_at'
  | 'payload'
>;

/** Why this delivery cannot be redelivered (a 409's message), or null when it can. */
export function redeliveryRefusal(d: RedeliveryCandidate): string | null {
  switch (d.outcome) {
    case 'delivered':
      return `delivery ${d.delivery_id} was delivered (attempt ${d.attempts}); only failed or dead deliveries can be redelivered`;
    case 'retrying':
      return (
        `delivery ${d.delivery_id} is still being retried` +
        (d.next_attempt_at
          ? ` (attempt ${d.attempts + 1} is due at ${d.next_attempt_at.toISOString()})`
          : '') +
        '; redeliver it once it has failed or is dead'
      );
    case 'failed':
    case 'dead':
      return d.payload === null
        ? `delivery ${d.delivery_id} cannot be redelivered: its event body was not recorded; republish the event instead`
        : null;
    default: {
      const unknown: never = d.outcome;
      throw new Error(`unhandled outcome ${JSON.stringify(unknown)}`);
    }
  }
}

/** The job that makes the next attempt of a failed or dead delivery (its id, so its log, stays the same). */
export function redeliveryJob(d: RedeliveryCandidate & { payload: string }): DeliveryJob {
  return {
    deliveryId: d.delivery_id,
    eventId: d.event_id,
    eventType: d.event_type,
    accountId: d.account_id,
    webhookId: d.webhook_id,
    body: d.payload,
    attempt: d.attempts + 1,
    source: 'retry',
    // Not the event's publish time: a redelivery's latency is not the platform's.
    publishedAt: null,
    routedAt: null,
  };
}
