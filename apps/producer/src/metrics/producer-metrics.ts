// The producer's Prometheus instruments, typed, on a registry of its own (tests run several apps in
// one process): events accepted by type, requests refused by reason, and how long publishing to
// Kafka takes. Plus prom-client's process metrics.
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { EventType, VowChatEvent } from '@vowchat/events';
import type { RefusalReason } from './refusal-reason';

// From 1 ms (a warm idempotent producer, acks from every in-sync replica) to kafkajs's retry budget.
const PUBLISH_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class ProducerMetrics {
  readonly registry = new Registry();
  /** Events durably published (answered 202), by event type. */
  readonly accepted: { inc(labels: { event_type: EventType }, value?: number): void };
  /** Requests to the events API answered 4xx/5xx, by reason. */
  readonly refused: { inc(labels: { reason: RefusalReason }, value?: number): void };
  /** One publishMany call (one request's events) to Kafka, by outcome. */
  readonly publishDuration: { observe(labels: { outcome: 'published' | 'failed' }, seconds: number): void };

  constructor({ defaultMetrics = true }: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.accepted = new Counter({
      name: 'vowchat_producer_events_accepted_total',
      help: 'Events published to Kafka through the HTTP API, by event type',
      labelNames: ['event_type'] as const,
      registers,
    });
    this.refused = new Counter({
      name: 'vowchat_producer_requests_refused_total',
      help: 'Events API requests refused, by reason',
      labelNames: ['reason'] as const,
      registers,
    });
    this.publishDuration = new Histogram({
      name: 'vowchat_producer_publish_duration_seconds',
      help: "Time to publish one request's events to Kafka (acks from every in-sync replica), by outcome",
      labelNames: ['outcome'] as const,
      buckets: PUBLISH_BUCKETS_SECONDS,
      registers,
    });
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Runs `publish`, timing it; counts the events as accepted once it resolves. */
  async timePublish<T>(events: readonly VowChatEvent[], publish: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let outcome: 'published' | 'failed' = 'failed';
    try {
      const result = await publish();
      outcome = 'published';
      for (const event of events) this.accepted.inc({ event_type: event.event });
      return result;
    } finally {
      this.publishDuration.observe({ outcome }, (performance.now() - started) / 1000);
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
