// The per-account publish rate: one token bucket per account (PUBLISH_RATE_LIMIT_PER_ACCOUNT events
// per second, PUBLISH_RATE_BURST_PER_ACCOUNT at once); a batch takes one token per event. The
// buckets live in a map bounded by `maxAccounts`, least recently used first out: an account evicted
// has not published while `maxAccounts` others did, so its bucket had almost surely refilled, and
// forgetting it gives it back what it would have had. Per producer instance
// (docs/decisions/0013-rate-limits.md).
import { TokenBucket } from '@vowchat/platform';

export interface PublishRateLimit {
  /** Events per second per account. */
  perSecond: number;
  /** Events an account may publish at once (a batch larger than this passes once the bucket is full). */
  burst: number;
}

export class AccountRateLimits {
  private readonly buckets = new Map<number, TokenBucket>();

  constructor(
    private readonly limit: PublishRateLimit,
    private readonly maxAccounts = 100_000,
  ) {}

  /** Takes `events` tokens for `accountId`: 0 when they may be published now, else ms until they may. */
  take(accountId: number, events: number, nowMs: number): number {
    let bucket = this.buckets.get(accountId);
    if (bucket === undefined) {
      bucket = new TokenBucket({ ratePerSecond: this.limit.perSecond, capacity: this.limit.burst }, nowMs);
      if (this.buckets.size >= this.maxAccounts) this.buckets.delete(this.buckets.keys().next().value!);
    } else {
      this.buckets.delete(accountId); // re-inserted below: the map's order is least recently used first
    }
    this.buckets.set(accountId, bucket);
    return bucket.take(nowMs, events);
  }

  /** Accounts with a bucket held (at most `maxAccounts`). */
  get size(): number {
    return this.buckets.size;
  }
}
