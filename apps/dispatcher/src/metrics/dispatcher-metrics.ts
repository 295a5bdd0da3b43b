// The dispatcher's Prometheus instruments, as one typed object on a registry of its own (not
// prom-client's global one, so a test process can run several dispatchers). Components receive the
// part they count with (e.g. Pick<DispatcherMetrics, 'attempts'>): a misspelt metric, label or
// label value is a compile error, not a series that silently never moves. No label names a webhook
// or an account: per-endpoint detail lives in Postgres, and cardinality here stays bounded.
// Gauges, which read live state at scrape time, are registered by delivery-gauges.ts.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { BreakerState, DeferralReason, EventType } from '@vowchat/events';
import {
  ATTEMPT_DURATION_BOUNDS_MS,
  END_TO_END_BOUNDS_MS,
  FIRST_ATTEMPT_WAIT_BOUNDS_MS,
} from '../health/health-buckets';
import type { AttemptClass } from './attempt-class';

/** A counter whose label values are typed, not only its label names. */
export interface LabelledCounter<L> {
  inc(labels: L, value?: number): void;
}
export interface PlainCounter {
  inc(value?: number): void;
}
/** A histogram of seconds whose label values are typed. */
export interface LabelledHistogram<L> {
  observe(labels: L, seconds: number): void;
}
export interface PlainHistogram {
  observe(seconds: number): void;
}

export type SkipReason = 'webhook_gone';

type InstrumentName =
  | 'attempts'
  | 'eventsConsumed'
  | 'deadLetters'
  | 'deferrals'
  | 'rateLimited'
  | 'skipped'
  | 'breakerTransitions'
  | 'attemptDuration'
  | 'endToEnd'
  | 'firstAttemptWait';

export class DispatcherMetrics {
  readonly registry = new Registry();
  /** Attempts made (an HTTP request went out, or was refused before it could), by class and event type. */
  readonly attempts: LabelledCounter<{ outcome: AttemptClass; event_type: EventType }>;
  /** Valid events taken from the event topics. */
  readonly eventsConsumed: LabelledCounter<{ event_type: EventType }>;
  /** Records durably written to the dead-letter topic (counted after the write, not when tried). */
  readonly deadLetters: PlainCounter;
  /** Jobs put back in the retry store without an attempt. */
  readonly deferrals: LabelledCounter<{ reason: DeferralReason }>;
  /** Jobs that waited in their lane for their endpoint's rate limit (each job once; not an attempt). */
  readonly rateLimited: PlainCounter;
  /** Jobs dropped without an attempt because their webhook is gone. */
  readonly skipped: LabelledCounter<{ reason: SkipReason }>;
  readonly breakerTransitions: LabelledCounter<{ state: BreakerState }>;
  /** One HTTP attempt, connect to last body byte (the spec's 5 s limit). */
  readonly attemptDuration: LabelledHistogram<{ outcome: AttemptClass }>;
  /** From the event's Kafka timestamp to its successful attempt: hours, since retries run for a day. */
  readonly endToEnd: PlainHistogram;
  /** From the event's Kafka timestamp to the start of its first attempt: the platform's own delay. */
  readonly firstAttemptWait: PlainHistogram;

  /**
   * `instruments: false` keeps nothing (every counter and histogram a no-op; the series stay at 0):
   * only for measuring what the instruments cost the hot path (METRICS_ENABLED=false, npm run bench).
   */
  constructor({
    defaultMetrics = true,
    instruments = true,
  }: { defaultMetrics?: boolean; instruments?: boolean } = {}) {
    const registers = [this.registry];
    this.attempts = new Counter({
      name: 'vowchat_delivery_attempts_total',
      help: 'Delivery attempts, by outcome class and event type',
      labelNames: ['outcome', 'event_type'] as const,
      registers,
    });
    this.eventsConsumed = new Counter({
      name: 'vowchat_events_consumed_total',
      help: 'Valid events consumed from the event topics, by event type',
      labelNames: ['event_type'] as const,
      registers,
    });
    this.deadLetters = new Counter({
      name: 'vowchat_dead_letters_total',
      help: 'Records written to the dead-letter topic',
      registers,
    });
    this.deferrals = new Counter({
      name: 'vowchat_deliveries_deferred_total',
      help: 'Deliveries deferred to the retry store without an attempt, by reason',
      labelNames: ['reason'] as const,
      registers,
    });
    this.rateLimited = new Counter({
      name: 'vowchat_deliveries_rate_limited_total',
      help: "Deliveries that waited in their endpoint's lane for its request rate limit",
      registers,
    });
    this.skipped = new Counter({
      name: 'vowchat_deliveries_skipped_total',
      help: 'Deliveries dropped because their webhook is deleted or disabled, by reason',
      labelNames: ['reason'] as const,
      registers,
    });
    this.breakerTransitions = new Counter({
      name: 'vowchat_breaker_transitions_total',
      help: 'Circuit breaker state changes, by new state',
      labelNames: ['state'] as const,
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'vowchat_delivery_attempt_duration_seconds',
      help: 'Duration of one HTTP delivery attempt, by outcome class',
      labelNames: ['outcome'] as const,
      buckets: seconds(ATTEMPT_DURATION_BOUNDS_MS),
      registers,
    });
    this.endToEnd = new Histogram({
      name: 'vowchat_delivery_end_to_end_seconds',
      help: "From the event's Kafka timestamp to its successful delivery, retries included",
      buckets: seconds(END_TO_END_BOUNDS_MS),
      registers,
    });
    this.firstAttemptWait = new Histogram({
      name: 'vowchat_delivery_first_attempt_wait_seconds',
      help: "From the event's Kafka timestamp to its routing to each webhook: the platform's own wait before a first attempt (what the endpoint's lane, breaker or rate limit adds is the endpoint's)",
      buckets: seconds(FIRST_ATTEMPT_WAIT_BOUNDS_MS),
      registers,
    });
    // Event-loop lag, GC, heap, CPU, handles: prom-client's process metrics, on this registry.
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
    if (!instruments) {
      const off = { inc: () => undefined, observe: () => undefined };
      Object.assign(this, {
        attempts: off,
        eventsConsumed: off,
        deadLetters: off,
        deferrals: off,
        rateLimited: off,
        skipped: off,
        breakerTransitions: off,
        attemptDuration: off,
        endToEnd: off,
        firstAttemptWait: off,
      } satisfies Record<InstrumentName, typeof off>);
    }
  }

  /** The exposition text for GET /metrics. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Millisecond bounds (shared with the Postgres rollups) as Prometheus's seconds. */
export function seconds(boundsMs: readonly number[]): number[] {
  return boundsMs.map((ms) => ms / 1000);
}
