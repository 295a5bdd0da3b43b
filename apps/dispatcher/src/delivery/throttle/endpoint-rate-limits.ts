// The per-endpoint request rate, as this instance enforces it: one token bucket per webhook, filled
// at this instance's share of the webhook's rate (its own `rate_limit_per_second`, or the
// configured default), divided evenly among the dispatcher instances in the consumer group. The
// shares add up to at most the webhook's rate, whichever instance holds its stream partitions and
// whichever leases its retries (docs/decisions/0013-rate-limits.md). Pure but for the callbacks it
// is given: no timers (the endpoint lanes wait), the clock passed in.
import { TokenBucket } from '@vowchat/platform';

export interface EndpointRateLimitsOptions {
  /** The webhook's own rate per second; null for the default; undefined when it is unknown. */
  rateOf: (webhookId: string) => number | null | undefined;
  /** Requests per second for a webhook without its own rate. */
  defaultPerSecond: number;
  /** Dispatcher instances sharing every endpoint's rate (the consumer group's members; >= 1). */
  instances: () => number;
  nowMs: () => number;
  /**
   * The burst, in seconds of the share (at least one request). Small, so no sliding second ever
   * sees more than the share plus this fraction of it.
   */
  burstSeconds?: number;
  /** Takes between sweeps of idle buckets (default 4096). */
  sweepEvery?: number;
}

export class EndpointRateLimits {
  private readonly buckets = new Map<string, TokenBucket>();
  private takesSinceSweep = 0;

  constructor(private readonly options: EndpointRateLimitsOptions) {}

  /** This instance's requests per second for `webhookId`. */
  shareOf(webhookId: string): number {
    const rate = this.options.rateOf(webhookId) ?? this.options.defaultPerSecond;
    return rate / Math.max(1, Math.floor(this.options.instances()));
  }

  /** Takes a token for one request to `webhookId`: 0 when it may go now, else ms until it may. */
  take(webhookId: string): number {
    const nowMs = this.options.nowMs();
    if (++this.takesSinceSweep >= (this.options.sweepEvery ?? 4096)) this.sweep(nowMs);
    const share = this.shareOf(webhookId);
    const limits = {
      ratePerSecond: share,
      capacity: Math.max(1, share * (this.options.burstSeconds ?? 0.1)),
    };
    const bucket = this.buckets.get(webhookId);
    if (bucket === undefined) {
      const fresh = new TokenBucket(limits, nowMs);
      this.buckets.set(webhookId, fresh);
      return fresh.take(nowMs);
    }
    // The webhook's rate changed (a PATCH reached the registry) or an instance joined or left.
    if (bucket.ratePerSecond !== limits.ratePerSecond) bucket.reconfigure(limits, nowMs);
    return bucket.take(nowMs);
  }

  /**
   * How long `queued` requests to `webhookId` take at this instance's share: when a job deferred
   * by the rate limit should come back from the retry store (at least `minMs`, at most `maxMs`).
   */
  backlogMs(webhookId: string, queued: number, minMs: number, maxMs: number): number {
    const ms = Math.ceil((queued * 1000) / this.shareOf(webhookId));
    return Math.min(maxMs, Math.max(minMs, ms));
  }

  /** Buckets held (a bound: idle ones are forgotten). */
  get size(): number {
    return this.buckets.size;
  }

  /** Forgets every bucket that has refilled: a fresh one would be the same, so memory stays bounded. */
  sweep(nowMs = this.options.nowMs()): void {
    this.takesSinceSweep = 0;
    for (const [id, bucket] of this.buckets) if (bucket.isFull(nowMs)) this.buckets.delete(id);
  }
}
