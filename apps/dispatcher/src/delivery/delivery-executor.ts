// Makes one attempt of one delivery and makes its outcome durable: the attempt record on the
// delivery topic, and the next attempt (if any) in the retry store. `attempt` resolves as soon as
// the request is done (or the breaker deferred the job) and hands back two promises: `recorded`
// (the record on the topic: the endpoint's lane slot waits for it, so attempts never outrun the
// topic's writer) and `durable` (every write acknowledged, the retry store's included: what lets the
// consumer commit past the record; no lane waits on Postgres). docs/decisions/0020-lane-slots.md.
import { newEventId, signRequest, type AttemptOutcome, type AttemptRecord } from '@vowchat/events';
import type { JsonLogger, SampledLog } from '@vowchat/platform';
import { BreakerOpenError, type EndpointBreakers } from '../circuit/endpoint-breakers';
import type { DeliveryRecorder } from '../outcomes/delivery-recorder';
import type { WebhookTarget } from '../registry/webhook-target';
import { nextAttemptDelayMs } from '../retry/retry-schedule';
import type { RetryStore } from '../retry/retry-store';
import { countAttempt, type AttemptMetrics } from '../metrics/attempt-metrics';
import type { DispatcherMetrics } from '../metrics/dispatcher-metrics';
import type { Clock } from '../tokens';
import { deferralRecord, type DeliveryJob } from './delivery-job';
import { writeEachDurably } from './until-durable';
import { classifyResult, failureClassOf, type Verdict } from './response-classifier';
import type { SendRequest, SendResult } from './webhook-sender';

export interface DeliveryExecutorDeps {
  registry: { get(webhookId: string): WebhookTarget | undefined };
  sender: { send(request: SendRequest): Promise<SendResult> };
  breakers: EndpointBreakers;
  retries: Pick<RetryStore, 'schedule' | 'complete'>;
  recorder: Pick<DeliveryRecorder, 'record'>;
  /** Disables a webhook whose endpoint answered 410 Gone. */
  disableGone: (webhookId: string, reason: string) => Promise<void>;
  clock: Clock;
  random: () => number;
  settings: { retryScheduleMs: readonly number[]; retryAfterCapMs: number };
  metrics: AttemptMetrics & Pick<DispatcherMetrics, 'deferrals' | 'skipped'>;
  log: JsonLogger;
  /** Where failed durable writes are logged (sampled). */
  durableLog: SampledLog;
}

/** A send that failed in a way that counts against the endpoint's breaker (retriable). */
class CountedFailure extends Error {
  constructor(
    readonly result: SendResult,
    readonly verdict: Verdict,
  ) {
    super(result.failure?.message ?? `HTTP ${result.statusCode}`);
  }
}

/**
 * An attempt that is over. `recorded` resolves once its record is on the delivery topic (the lane
 * waits for that: it keeps attempts from outrunning the topic's writer); `durable` once its whole
 * outcome is written, the retry store's part included (the lane does not wait for that). Neither
 * rejects.
 */
export interface Attempted {
  recorded: Promise<void>;
  durable: Promise<void>;
}

const NOTHING_TO_WRITE: Attempted = { recorded: Promise.resolve(), durable: Promise.resolve() };

export class DeliveryExecutor {
  constructor(private readonly deps: DeliveryExecutorDeps) {}

  /** Attempts `job`; resolves once the request is over, with the write of its outcome under way. Never rejects. */
  async attempt(job: DeliveryJob): Promise<Attempted> {
    const { deps } = this;
    const target = deps.registry.get(job.webhookId);
    if (!target) {
      // Deleted or disabled since the job was created: nothing to deliver, nothing to keep.
      deps.metrics.skipped.inc({ reason: 'webhook_gone' });
      if (job.source === 'retry')
        return this.written(job, null, [() => deps.retries.complete(job.deliveryId, job.attempt)]);
      return NOTHING_TO_WRITE;
    }
    const startedAt = deps.clock.now();
    let result: SendResult;
    let verdict: Verdict;
    try {
      ({ result, verdict } = await deps.breakers.run(target.id, target.accountId, () =>
        this.send(job, target),
      ));
    } catch (error) {
      if (error instanceof BreakerOpenError) {
        // Not attempted, so not counted as one: the same attempt waits for the breaker's probe.
        deps.metrics.deferrals.inc({ reason: 'breaker_open' });
        const dueAt = new Date(error.retryAt.getTime() + Math.floor(deps.random() * 1_000));
        // The deferral goes on the delivery topic too (health rollups count it); built once, so a
        // rewrite keeps its id and is counted once.
        const deferral = deferralRecord(job, 'breaker_open', deps.clock.now());
        return this.written(job, () => deps.recorder.record(deferral), [
          () => deps.retries.schedule(job, dueAt),
        ]);
      }
      if (!(error instanceof CountedFailure)) {
        // A bug of ours: not retried (it would fail the same way), but the payload is kept with the
        // failed outcome so the delivery can be redelivered through the API once fixed.
        deps.log.errorWith('delivery attempt crashed', {
          webhook_id: job.webhookId,
          delivery_id: job.deliveryId,
          error: (error as Error).stack,
        });
        result = { statusCode: null, durationMs: 0, responseBody: null, retryAfter: null, failure: null };
        verdict = { kind: 'fail', reason: `internal error: ${(error as Error).message}` };
      } else {
        ({ result, verdict } = error);
      }
    }
    return this.settle(job, target, startedAt, result, verdict);
  }

  private async send(
    job: DeliveryJob,
    target: WebhookTarget,
  ): Promise<{ result: SendResult; verdict: Verdict }> {
    const now = this.deps.clock.now();
    const signed = signRequest(
      target.secrets,
      job.eventId,
      job.deliveryId,
      Math.floor(now.getTime() / 1000),
      job.body,
    );
    const result = await this.deps.sender.send({
      url: target.url,
      body: job.body,
      headers: { ...signed, 'x-vowchat-event': job.eventType, 'x-vowchat-event-id': job.eventId },
    });
    const verdict = classifyResult(result, this.deps.settings.retryAfterCapMs, this.deps.clock.now());
    if (verdict.kind === 'retry') throw new CountedFailure(result, verdict);
    return { result, verdict };
  }

  /** Counts the attempt at once and returns the write of its outcome (and of what follows from it). */
  private settle(
    job: DeliveryJob,
    target: WebhookTarget,
    startedAt: Date,
    result: SendResult,
    verdict: Verdict,
  ): Attempted {
    const { deps } = this;
    const finishedAt = deps.clock.now();
    let outcome: AttemptOutcome;
    let nextAttemptAt: Date | null = null;
    switch (verdict.kind) {
      case 'delivered':
        outcome = 'delivered';
        break;
      case 'fail':
      case 'gone':
        outcome = 'failed';
        break;
      case 'retry': {
        const delay = nextAttemptDelayMs(
          job.attempt,
          deps.settings.retryScheduleMs,
          deps.random,
          verdict.retryAfterMs,
        );
        outcome = delay === null ? 'dead' : 'retrying';
        if (delay !== null) nextAttemptAt = new Date(finishedAt.getTime() + delay);
        break;
      }
      default: {
        const unknown: never = verdict;
        throw new Error(`unhandled verdict ${JSON.stringify(unknown)}`);
      }
    }
    const record: AttemptRecord = {
      kind: 'attempt',
      attempt_id: newEventId(),
      delivery_id: job.deliveryId,
      event_id: job.eventId,
      webhook_id: job.webhookId,
      account_id: job.accountId,
      event_type: job.eventType,
      attempt: job.attempt,
      outcome,
      status_code: result.statusCode,
      duration_ms: Math.round(result.durationMs),
      error: verdict.kind === 'delivered' ? null : verdict.reason,
      response_body: result.responseBody,
      next_attempt_at: nextAttemptAt?.toISOString() ?? null,
      started_at: startedAt.toISOString(),
      finished_at: finishedAt.toISOString(),
      payload: outcome === 'failed' || outcome === 'dead' ? job.body : null,
      failure_class: failureClassOf(result),
      event_published_at: job.publishedAt,
      routed_at: job.routedAt,
    };
    countAttempt(deps.metrics, {
      job,
      outcome,
      failureClass: record.failure_class ?? null,
      durationMs: result.durationMs,
      startedAt,
      finishedAt,
    });
    const storeWrites: (() => Promise<void>)[] = [];
    if (nextAttemptAt) {
      const at = nextAttemptAt;
      storeWrites.push(() =>
        deps.retries.schedule({ ...job, attempt: job.attempt + 1, source: 'retry' }, at),
      );
    } else if (job.source === 'retry')
      storeWrites.push(() => deps.retries.complete(job.deliveryId, job.attempt));
    const written = this.written(job, () => deps.recorder.record(record), storeWrites);
    if (verdict.kind !== 'gone') return written;
    return {
      recorded: written.recorded,
      durable: written.durable.then(() =>
        this.durably(job, () =>
          deps.disableGone(target.id, `endpoint answered 410 Gone (delivery ${job.deliveryId})`),
        ),
      ),
    };
  }

  /** Starts an outcome's writes: its record on the delivery topic (if any) and its retry-store writes. */
  private written(
    job: DeliveryJob,
    record: (() => Promise<void>) | null,
    storeWrites: (() => Promise<void>)[],
  ): Attempted {
    const recorded = record === null ? Promise.resolve() : this.durably(job, record);
    const stored = this.durably(job, ...storeWrites);
    return { recorded, durable: Promise.all([recorded, stored]).then(() => undefined) };
  }

  /** Makes writes durable, each retried on its own while it can succeed; a refused write is logged, not retried. */
  private async durably(job: DeliveryJob, ...writes: (() => Promise<void>)[]): Promise<void> {
    if (writes.length === 0) return;
    await writeEachDurably(writes, {
      log: this.deps.durableLog,
      what: 'delivery_outcome',
      fields: { delivery_id: job.deliveryId, webhook_id: job.webhookId },
    });
  }
}
