// A token bucket: `ratePerSecond` tokens flow in continuously up to `capacity`, and each unit of
// work takes one. Pure: no timers, no clock of its own (every call passes `nowMs`), so the
// dispatcher's per-endpoint limit and the producer's per-account limit are tested without waiting.
//
// A request for more tokens than the bucket can ever hold (a batch of 500 events against a burst
// of 100) would otherwise be refused for ever; it is admitted once the bucket is full and leaves
// the bucket in debt, so the long-run rate still holds: the next request waits for the debt to be
// paid back.

export interface TokenBucketLimits {
  /** Tokens added per second (> 0). */
  ratePerSecond: number;
  /** Most tokens the bucket holds: the burst (>= 1). */
  capacity: number;
}

export class TokenBucket {
  private tokens: number;
  private updatedMs: number;
  private limits: TokenBucketLimits;

  constructor(limits: TokenBucketLimits, nowMs: number) {
    this.limits = checked(limits);
    this.tokens = this.limits.capacity;
    this.updatedMs = nowMs;
  }

  get ratePerSecond(): number {
    return this.limits.ratePerSecond;
  }

  get capacity(): number {
    return this.limits.capacity;
  }

  /**
   * Takes `count` tokens when it can and answers 0; otherwise takes nothing and answers how many ms
   * until it could (>= 1).
   */
  take(nowMs: number, count = 1): number {
    this.refill(nowMs);
    const needed = Math.min(count, this.limits.capacity);
    if (this.tokens >= needed) {
      this.tokens -= count;
      return 0;
    }
    return Math.max(1, Math.ceil(((needed - this.tokens) * 1000) / this.limits.ratePerSecond));
  }

  /** Tokens available at `nowMs` (negative while a large request's debt is paid back). */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  /** True when the bucket has refilled completely: forgetting it then changes nothing. */
  isFull(nowMs: number): boolean {
    return this.available(nowMs) >= this.limits.capacity;
  }

  /** Changes the rate and burst; the tokens held are kept, up to the new capacity. */
  reconfigure(limits: TokenBucketLimits, nowMs: number): void {
    this.refill(nowMs);
    this.limits = checked(limits);
    this.tokens = Math.min(this.tokens, this.limits.capacity);
  }

  private refill(nowMs: number): void {
    // A clock that steps back adds nothing (and takes nothing away).
    const elapsedMs = Math.max(0, nowMs - this.updatedMs);
    this.updatedMs = Math.max(this.updatedMs, nowMs);
    this.tokens = Math.min(
      this.limits.capacity,
      this.tokens + (elapsedMs * this.limits.ratePerSecond) / 1000,
    );
  }
}

function checked(limits: TokenBucketLimits): TokenBucketLimits {
  if (!(limits.ratePerSecond > 0) || !Number.isFinite(limits.ratePerSecond))
    throw new RangeError(`ratePerSecond must be a positive number, got ${limits.ratePerSecond}`);
  if (!(limits.capacity >= 1) || !Number.isFinite(limits.capacity))
    throw new RangeError(`capacity must be at least 1, got ${limits.capacity}`);
  return { ...limits };
}
