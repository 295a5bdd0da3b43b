// A reading that costs a round trip (a Postgres query, a Kafka admin request), taken at most once
// per `maxAgeMs` however often it is asked for (Prometheus scrapes, readiness probes), and never
// waited on for longer than `timeoutMs`: a slow or hung dependency makes the reading fail, it does
// not hang /metrics or /health/ready. Concurrent askers share one read.

export type ProbeReading<T> =
  { ok: true; value: T; at: number } | { ok: false; error: string; at: number; lastValue: T | undefined };

export interface CachedProbeOptions {
  maxAgeMs: number;
  timeoutMs: number;
  now?: () => number;
}

export class CachedProbe<T> {
  private reading: ProbeReading<T> | undefined;
  private pending: Promise<ProbeReading<T>> | undefined;
  private lastValue: T | undefined;
  private readonly now: () => number;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly options: CachedProbeOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The latest reading, refreshed first when it is older than `maxAgeMs`. */
  get(): Promise<ProbeReading<T>> {
    if (this.reading && this.now() - this.reading.at < this.options.maxAgeMs)
      return Promise.resolve(this.reading);
    this.pending ??= this.refresh().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** The last value read successfully, without triggering a read (undefined before the first). */
  get last(): T | undefined {
    return this.lastValue;
  }

  private async refresh(): Promise<ProbeReading<T>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.options.timeoutMs} ms`)),
        this.options.timeoutMs,
      );
    });
    try {
      const value = await Promise.race([this.read(), timeout]);
      this.lastValue = value;
      this.reading = { ok: true, value, at: this.now() };
    } catch (error) {
      this.reading = {
        ok: false,
        error: error instanceof Error ? error.message : String(error),
        at: this.now(),
        lastValue: this.lastValue,
      };
    } finally {
      clearTimeout(timer);
    }
    return this.reading;
  }
}
