// One opossum circuit breaker per endpoint (webhook). Tuned for thousands of breakers: no snapshot
// timers, no latency percentiles, no opossum timeout (the HTTP client owns the 5 s limit), and
// breakers idle and closed for a while are dropped so memory follows the active endpoints.
import CircuitBreaker from 'opossum';
import type { BreakerState } from '@vowchat/events';

export interface BreakerSettings {
  errorThresholdPercentage: number;
  windowMs: number;
  volumeThreshold: number;
  resetTimeoutMs: number;
}

/** Thrown by `run` when the endpoint's breaker is open: the job was not attempted. */
export class BreakerOpenError extends Error {
  readonly retriable = true;
  constructor(
    readonly webhookId: string,
    /** When the breaker will let a probe through. */
    readonly retryAt: Date,
  ) {
    super(`circuit open for webhook ${webhookId}`);
    this.name = 'BreakerOpenError';
  }
}

type StateListener = (change: { webhookId: string; accountId: number; state: BreakerState }) => void;

interface Entry {
  breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  lastUsed: number;
  openedAt: number;
}

export class EndpointBreakers {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly onStateChange: StateListener,
    private readonly idleEvictMs = 10 * 60_000,
  ) {
    this.sweeper = setInterval(() => this.evictIdle(), Math.min(idleEvictMs, 60_000));
    this.sweeper.unref();
  }

  /**
   * Runs `action` through the endpoint's breaker. A rejection of `action` counts as a failure
   * towards opening it; when it is open (or half-open with its probe out) this rejects with
   * BreakerOpenError without calling `action`.
   */
  async run<T>(webhookId: string, accountId: number, action: () => Promise<T>): Promise<T> {
    const entry = this.entryOf(webhookId, accountId);
    entry.lastUsed = Date.now();
    try {
      return (await entry.breaker.fire(action)) as T;
    } catch (error) {
      if ((error as { code?: string }).code === 'EOPENBREAKER') {
        throw new BreakerOpenError(webhookId, new Date(entry.openedAt + this.settings.resetTimeoutMs));
      }
      throw error;
    }
  }

  state(webhookId: string): BreakerState {
    const breaker = this.entries.get(webhookId)?.breaker;
    if (!breaker || breaker.closed) return 'closed';
    return breaker.halfOpen ? 'half_open' : 'open';
  }

  /** Breakers held in memory (a gauge). */
  get size(): number {
    return this.entries.size;
  }

  /** Open or half-open breakers (a gauge). */
  get openCount(): number {
    let n = 0;
    for (const { breaker } of this.entries.values()) if (!breaker.closed) n++;
    return n;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const { breaker } of this.entries.values()) breaker.shutdown();
    this.entries.clear();
  }

  private entryOf(webhookId: string, accountId: number): Entry {
    const existing = this.entries.get(webhookId);
    if (existing) return existing;
    const breaker = new CircuitBreaker((action: () => Promise<unknown>) => action(), {
      timeout: false,
      errorThresholdPercentage: this.settings.errorThresholdPercentage,
      rollingCountTimeout: this.settings.windowMs,
      rollingCountBuckets: 10,
      volumeThreshold: this.settings.volumeThreshold,
      resetTimeout: this.settings.resetTimeoutMs,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      name: webhookId,
    });
    const entry: Entry = { breaker, lastUsed: Date.now(), openedAt: 0 };
    breaker.on('open', () => {
      entry.openedAt = Date.now();
      this.onStateChange({ webhookId, accountId, state: 'open' });
    });
    breaker.on('halfOpen', () => this.onStateChange({ webhookId, accountId, state: 'half_open' }));
    breaker.on('close', () => this.onStateChange({ webhookId, accountId, state: 'closed' }));
    this.entries.set(webhookId, entry);
    return entry;
  }

  private evictIdle(): void {
    const cutoff = Date.now() - this.idleEvictMs;
    for (const [id, entry] of this.entries) {
      if (entry.breaker.closed && entry.lastUsed < cutoff) {
        entry.breaker.shutdown();
        this.entries.delete(id);
      }
    }
  }
}
