// The health API's answers: one endpoint (a window's figures or its series), an account's endpoints
// worst first, and the operator's view (the least healthy endpoints across accounts beside the
// platform's own indicators). Endpoint figures come from the rollups; platform figures from the
// rollups, the retry store and Kafka offsets.
import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { eventTopics } from '@vowchat/events';
import type { DispatcherConfig } from '../config';
import { DeliveryRuntime, projectorGroupId } from '../delivery/delivery.module';
import { CLOCK, DISPATCHER_CONFIG, type Clock } from '../tokens';
import { WebhookNotFoundError } from '../webhooks-api/webhook.errors';
import { addBuckets, percentiles } from './bucket-percentiles';
import type { PartitionLag } from './consumer-lag';
import { emptyTotals, failingSince, healthScore, type HealthTotals } from './endpoint-health';
import { FinishedHoursCache } from './finished-hours.cache';
import { FIRST_ATTEMPT_WAIT_BOUNDS_MS } from './health-buckets';
import { seriesPoints } from './health-series';
import {
  HOUR_MS,
  MINUTE_MS,
  planSeries,
  planWindow,
  windowRanges,
  type EndpointHealthQuery,
  type RollupRange,
  type WindowName,
  type WindowPlan,
} from './health-window';
import {
  HealthQueryRepository,
  type BreakerStatus,
  type FailingBounds,
  type PendingRetries,
  type WebhookSummary,
} from './health-query.repository';
import {
  endpointHealthView,
  endpointListItem,
  type AccountHealthView,
  type EndpointHealthView,
  type EndpointListItem,
  type EndpointSeriesView,
  type OperatorHealthView,
  type PlatformView,
  windowView,
  worstFirst,
} from './health.view';
import { CachedProbe } from '../metrics/cached-probe';
import { KafkaOffsetsReader } from './kafka-offsets.reader';
import { LifecycleReader } from '../lifecycle/lifecycle.reader';
import type { LifecycleStatus } from '../lifecycle/lifecycle.store';
import { addRankCounts, breakerCandidates, rankLeastHealthy } from './least-healthy';
import { SLO, sloReport, type SloCounts } from './platform-slo';

/** What the service knows about each endpoint it lists, besides its totals. */
interface EndpointContext {
  failing: Map<string, FailingBounds>;
  breakers: Map<string, BreakerStatus>;
  retries: Map<string, PendingRetries>;
  lifecycle: Map<string, LifecycleStatus>;
}

const SLO_PERIOD_CACHE_MS = 60_000;

/**
 * The operator view's sums over finished hours (every webhook's, a 7 d window's 360,000 hour rows
 * with 10,000 webhooks): read again in the background once 5 s old, never served older than 60 s.
 * The figures shown for the endpoints it ranks are read fresh.
 */
const FINISHED_HOURS = { refreshAfterMs: 5_000, maxStaleMs: 60_000 };
/**
 * Kafka admin readings (consumer and projector lag, dead letters) are each a round trip to the
 * broker (25–55 ms under load): the operator view keeps them 2 s, so a dashboard refreshing every
 * few seconds or several operators at once cost the broker one read, and the view stays fast.
 */
const KAFKA_READING = { maxAgeMs: 2_000, timeoutMs: 3_000 };

@Injectable()
export class HealthQueryService {
  private periodCache: { at: number; counts: Promise<SloCounts> } | null = null;
  private readonly finishedHours = new FinishedHoursCache(FINISHED_HOURS);

  private readonly kafkaReadings = new Map<string, CachedProbe<unknown>>();

  constructor(
    private readonly repository: HealthQueryRepository,
    private readonly offsets: KafkaOffsetsReader,
    private readonly lifecycle: LifecycleReader,
    private readonly moduleRef: ModuleRef,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async endpoint(
    accountId: number,
    webhookId: string,
    query: EndpointHealthQuery,
  ): Promise<EndpointHealthView | EndpointSeriesView> {
    const webhook = await this.repository.webhook(accountId, webhookId);
    if (!webhook) throw new WebhookNotFoundError(webhookId);
    const now = this.clock.now();
    if (query.series) {
      const plan = planSeries(query.window, query.series, now);
      const rows = await this.repository.webhookBuckets(plan.table, webhook.id, plan.from, plan.to);
      return {
        webhook_id: webhook.id,
        account_id: webhook.accountId,
        ...windowView(plan),
        series: query.series,
        points: seriesPoints(plan, rows),
      };
    }
    const plan = planWindow(query.window, now);
    const [totals, context] = await Promise.all([
      this.repository.webhookTotals(plan.table, webhook.id, plan.from, plan.to),
      this.context([webhook.id], now),
    ]);
    return endpointHealthView(
      webhook,
      plan,
      totals,
      this.endpointState(webhook.id, totals, context, now),
      now,
    );
  }

  async account(accountId: number, window: WindowName): Promise<AccountHealthView> {
    const now = this.clock.now();
    const plan = planWindow(window, now);
    const webhooks = await this.repository.accountWebhooks(accountId);
    const ids = webhooks.map((w) => w.id);
    const [totals, context] = await Promise.all([
      this.repository.accountTotals(plan.table, accountId, plan.from, plan.to),
      this.context(ids, now),
    ]);
    const items = webhooks.map((w) =>
      this.listItem(w, plan, totals.get(w.id) ?? emptyTotals(), context, now),
    );
    return { account_id: accountId, ...windowView(plan), webhooks: worstFirst(items) };
  }

  async operator(window: WindowName, limit: number): Promise<OperatorHealthView> {
    const now = this.clock.now();
    const plan = planWindow(window, now);
    const [endpoints, platform] = await Promise.all([
      this.leastHealthy(plan, limit, now),
      this.platform(plan, now),
    ]);
    return { ...windowView(plan), least_healthy: endpoints, platform };
  }

  private async leastHealthy(plan: WindowPlan, limit: number, now: Date): Promise<EndpointListItem[]> {
    const { finished, current } = windowRanges(plan);
    const [past, recent] = await Promise.all([
      this.finishedReading(`rank:${plan.window}`, finished, now, () => this.repository.rankCounts(finished)),
      this.repository.rankCounts(current),
    ]);
    const counts = addRankCounts(past, recent);
    // Only the breakers of webhooks that can reach the top once halved are read.
    const candidates = breakerCandidates(counts, limit);
    const breakers = await this.repository.breakerStates(candidates);
    const open = new Set(candidates.filter((id) => breakers.get(id)?.state === 'open'));
    const ranked = rankLeastHealthy(counts, candidates, open, limit);
    const ids = ranked.map((r) => r.webhookId);
    if (ids.length === 0) return [];
    const [webhooks, totals, context] = await Promise.all([
      this.repository.webhooksByIds(ids),
      this.repository.totalsByWebhook(ids, [...finished, ...current]),
      this.context(ids, now),
    ]);
    const byId = new Map(webhooks.map((w) => [w.id, w]));
    // The rank is the repository's; a webhook deleted since its rows were written still shows, by id.
    return ranked.map((r) => {
      const webhook = byId.get(r.webhookId) ?? {
        id: r.webhookId,
        accountId: r.accountId,
        name: null,
        url: null,
        enabled: false,
        deleted: true as const,
      };
      return this.listItem(webhook, plan, totals.get(r.webhookId) ?? emptyTotals(), context, now);
    });
  }

  private async platform(plan: WindowPlan, now: Date): Promise<PlatformView> {
    const { kafka, topics } = this.config;
    const minuteFroms = [5, 60].map(
      (m) => new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS - (m - 1) * MINUTE_MS),
    );
    const hourFroms = [6, 24].map(
      (h) => new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - (h - 1) * HOUR_MS),
    );
    const { finished, current } = windowRanges(plan);
    const hour = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
    const until = new Date(now.getTime() + 1);
    const finishedSloHours: RollupRange[] = [
      { table: 'endpoint_health_hour', from: hourFroms[1], until: hour },
    ];
    const [
      [sumsPast, sumsNow, minuteSlo, hourSloPast, [hourSloNow], period],
      [retries, consumerLag, projectorLag, deadLetters],
    ] = await Promise.all([
      Promise.all([
        this.finishedReading(`platform:${plan.window}`, finished, now, () =>
          this.repository.platformSums(finished),
        ),
        this.repository.platformSums(current),
        this.repository.sloCounts('endpoint_health_minute', minuteFroms, until),
        this.finishedReading('slo:6h,24h', finishedSloHours, now, () =>
          this.repository.sloCounts('endpoint_health_hour', hourFroms, hour),
        ),
        this.repository.sloCounts('endpoint_health_hour', [hour], until),
        this.sloPeriod(now),
      ]),
      Promise.all([
        this.repository.dueRetries(now),
        this.kafkaReading('consumer-lag', () => this.offsets.groupLag(kafka.groupId, eventTopics(topics))),
        this.kafkaReading('projector-lag', () =>
          this.offsets.groupLag(projectorGroupId(this.config), [topics.deliveries]),
        ),
        this.kafkaReading(`dead-letters:${plan.window}`, () =>
          this.offsets.deadLetters(topics.deadLetter, plan.from),
        ),
      ]),
    ]);
    const wait = { buckets: addBuckets(addBuckets([], sumsPast.waitBuckets), sumsNow.waitBuckets) };
    const hourSlo = hourSloPast.map((c) => ({
      good: c.good + hourSloNow.good,
      total: c.total + hourSloNow.total,
    }));
    const waitCount = wait.buckets.reduce((s, c) => s + c, 0);
    const lags = consumerLag.ok ? mergeLocalLag(consumerLag.value, this.localLag()) : null;
    return {
      first_attempt_wait_ms: { ...percentiles(FIRST_ATTEMPT_WAIT_BOUNDS_MS, wait.buckets), count: waitCount },
      slo: sloReport(period, {
        '5m': minuteSlo[0],
        '1h': minuteSlo[1],
        '6h': hourSlo[0],
        '24h': hourSlo[1],
      }),
      consumer_lag: lags
        ? {
            total_records: lags.reduce((s, l) => s + l.lagRecords, 0),
            max_seconds: maxSeconds(lags),
            partitions: lags.map((l) => ({
              topic: l.topic,
              partition: l.partition,
              lag_records: l.lagRecords,
              lag_seconds: l.lagSeconds === null ? null : Math.round(l.lagSeconds * 1000) / 1000,
            })),
          }
        : { error: consumerLag.ok ? null : consumerLag.error },
      projector_lag: projectorLag.ok
        ? {
            total_records: projectorLag.value.reduce((s, l) => s + l.lagRecords, 0),
            partitions: projectorLag.value.map((l) => ({
              partition: l.partition,
              lag_records: l.lagRecords,
            })),
          }
        : { error: projectorLag.error },
      retries: {
        due: retries.due,
        oldest_due_age_ms: retries.oldestDueAt
          ? Math.max(0, now.getTime() - retries.oldestDueAt.getTime())
          : null,
      },
      dead_letters: deadLetters.ok
        ? { in_window: deadLetters.value.since, retained: deadLetters.value.retained }
        : { error: deadLetters.error },
      // Attempts that failed by our own fault (failure class internal), not the receiver's; the
      // endpoint counts include them in `failed`.
      internal_errors: { count: sumsPast.internalErrors + sumsNow.internalErrors },
    };
  }

  /**
   * The SLO's 30-day counts scan every hour row of the platform (a third of a second with 10,000
   * webhooks): kept for a minute, which the budget, a 30-day figure, does not notice.
   */
  private sloPeriod(now: Date): Promise<SloCounts> {
    const cached = this.periodCache;
    if (cached && now.getTime() - cached.at < SLO_PERIOD_CACHE_MS) return cached.counts;
    const from = new Date(
      Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - (SLO.periodDays * 24 - 1) * HOUR_MS,
    );
    const counts = this.repository
      .sloCounts('endpoint_health_hour', [from], new Date(now.getTime() + 1))
      .then(([c]) => c);
    this.periodCache = { at: now.getTime(), counts };
    counts.catch(() => (this.periodCache = null)); // a failed read is not kept
    return counts;
  }

  /** A reading over the finished hours `ranges`, kept a few seconds (FINISHED_HOURS). */
  private finishedReading<T>(
    slot: string,
    ranges: RollupRange[],
    now: Date,
    load: () => Promise<T>,
  ): Promise<T> {
    const key = ranges.map((r) => `${r.table}:${r.from.toISOString()}/${r.until.toISOString()}`).join(',');
    return this.finishedHours.get(slot, key, load, now.getTime());
  }

  private async context(ids: string[], now: Date): Promise<EndpointContext> {
    if (ids.length === 0)
      return { failing: new Map(), breakers: new Map(), retries: new Map(), lifecycle: new Map() };
    const [failing, breakers, retries, lifecycle] = await Promise.all([
      this.repository.failingBounds(ids, now),
      this.repository.breakerStates(ids),
      this.repository.pendingRetries(ids, now),
      this.lifecycle.statuses(ids),
    ]);
    return { failing, breakers, retries, lifecycle };
  }

  private endpointState(id: string, totals: HealthTotals, context: EndpointContext, now: Date) {
    const bounds = context.failing.get(id);
    const breaker = context.breakers.get(id) ?? null;
    const retries = context.retries.get(id) ?? null;
    return {
      score: healthScore(totals.attempts, totals.delivered, breaker?.state === 'open'),
      failingSince: bounds
        ? failingSince(
            bounds.lastSuccessAt,
            bounds.lastFailureAt,
            bounds.firstFailureMinute,
            bounds.firstFailureHour,
          )
        : null,
      breaker,
      retries,
      lifecycle: context.lifecycle.get(id) ?? null,
      now,
    };
  }

  private listItem(
    webhook: Omit<WebhookSummary, 'url'> & { url: string | null; deleted?: true },
    plan: WindowPlan,
    totals: HealthTotals,
    context: EndpointContext,
    now: Date,
  ): EndpointListItem {
    return endpointListItem(webhook, plan, totals, this.endpointState(webhook.id, totals, context, now));
  }

  /** This instance's own view of its partitions (fresher, and with seconds), when the consumer runs here. */
  /** A Kafka reading, shared and kept KAFKA_READING.maxAgeMs (see there). */
  private async kafkaReading<T>(key: string, read: () => Promise<T>): Promise<Settled<T>> {
    let probe = this.kafkaReadings.get(key) as CachedProbe<T> | undefined;
    if (!probe) {
      probe = new CachedProbe(read, KAFKA_READING);
      this.kafkaReadings.set(key, probe);
    }
    const reading = await probe.get();
    return reading.ok ? { ok: true, value: reading.value } : { ok: false, error: reading.error };
  }

  private localLag(): PartitionLag[] {
    try {
      return this.moduleRef.get(DeliveryRuntime, { strict: false }).server.partitionLag();
    } catch {
      return []; // an app without the consumer (a test, the bench): committed offsets only
    }
  }
}

/** Committed-offset lag for every partition; where this instance consumes one, its own figures instead. */
function mergeLocalLag(committed: PartitionLag[], local: PartitionLag[]): PartitionLag[] {
  const mine = new Map(local.map((l) => [`${l.topic}:${l.partition}`, l]));
  return committed.map((c) => mine.get(`${c.topic}:${c.partition}`) ?? c);
}

function maxSeconds(lags: PartitionLag[]): number | null {
  const known = lags.map((l) => l.lagSeconds).filter((s): s is number => s !== null);
  return known.length > 0 ? Math.max(...known) : null;
}

/** A Kafka figure that cannot be read becomes an error in its place, not a failed view. */
type Settled<T> = { ok: true; value: T } | { ok: false; error: string };
