// What one finished attempt adds to the metrics: its class and duration, and, from the event's
// publish time, the platform's delay before the first attempt and the end-to-end latency of a
// success. The executor calls this once per attempt.
import type { AttemptOutcome, FailureClass } from '@vowchat/events';
import type { DeliveryJob } from '../delivery/delivery-job';
import { attemptClassOf } from './attempt-class';
import type { DispatcherMetrics } from './dispatcher-metrics';

export type AttemptMetrics = Pick<
  DispatcherMetrics,
  'attempts' | 'attemptDuration' | 'endToEnd' | 'firstAttemptWait'
>;

export interface FinishedAttempt {
  job: Pick<DeliveryJob, 'eventType' | 'attempt' | 'publishedAt'>;
  outcome: AttemptOutcome;
  failureClass: FailureClass | null;
  durationMs: number;
  startedAt: Date;
  finishedAt: Date;
}

export function countAttempt(metrics: AttemptMetrics, a: FinishedAttempt): void {
  const outcome = attemptClassOf(a.outcome, a.failureClass);
  metrics.attempts.inc({ outcome, event_type: a.job.eventType });
  metrics.attemptDuration.observe({ outcome }, a.durationMs / 1000);
  const { firstAttemptWait, endToEnd } = latenciesOf(a);
  if (firstAttemptWait !== null) metrics.firstAttemptWait.observe(firstAttemptWait);
  if (endToEnd !== null) metrics.endToEnd.observe(endToEnd);
}

/**
 * Seconds from the event's publish time (its Kafka timestamp) to the start of its first attempt
 * and to the end of its successful one. Null when the job has no publish time (a redelivery
 * through the API) or the attempt does not qualify. A broker clock ahead of ours gives 0, not a
 * negative latency.
 */
export function latenciesOf(a: Omit<FinishedAttempt, 'failureClass' | 'durationMs'>): {
  firstAttemptWait: number | null;
  endToEnd: number | null;
} {
  if (a.job.publishedAt === null) return { firstAttemptWait: null, endToEnd: null };
  const publishedMs = Date.parse(a.job.publishedAt);
  if (Number.isNaN(publishedMs)) return { firstAttemptWait: null, endToEnd: null };
  const since = (at: Date) => Math.max(0, at.getTime() - publishedMs) / 1000;
  return {
    firstAttemptWait: a.job.attempt === 1 ? since(a.startedAt) : null,
    endToEnd: a.outcome === 'delivered' ? since(a.finishedAt) : null,
  };
}
