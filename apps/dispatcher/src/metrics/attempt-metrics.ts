// What one finished attempt adds to the metrics: its class and duration, and, from the event's
// publish time, the end-to-end latency of a success. The executor calls this once per attempt.
// (The platform's own wait, publish to routing, is observed by the pipeline as it routes.)
import type { AttemptOutcome, FailureClass } from '@vowchat/events';
import type { DeliveryJob } from '../delivery/delivery-job';
import { attemptClassOf } from './attempt-class';
import type { DispatcherMetrics } from './dispatcher-metrics';

export type AttemptMetrics = Pick<DispatcherMetrics, 'attempts' | 'attemptDuration' | 'endToEnd'>;

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
  const endToEnd = endToEndOf(a);
  if (endToEnd !== null) metrics.endToEnd.observe(endToEnd);
}

/**
 * Seconds from the event's publish time (its Kafka timestamp) to the end of its successful
 * attempt; null for a failure or a job without a publish time (a redelivery through the API). A
 * broker clock ahead of ours gives 0, not a negative latency.
 */
export function endToEndOf(a: Pick<FinishedAttempt, 'job' | 'outcome' | 'finishedAt'>): number | null {
  if (a.outcome !== 'delivered' || a.job.publishedAt === null) return null;
  const publishedMs = Date.parse(a.job.publishedAt);
  if (Number.isNaN(publishedMs)) return null;
  return Math.max(0, a.finishedAt.getTime() - publishedMs) / 1000;
}
