// One bounded FIFO queue per endpoint with its own concurrency cap, so a slow or dead endpoint only
// ever occupies its own slots: the healthy endpoints sharing its partitions keep flowing. With
// `admit` (the endpoint's rate limit) a lane whose endpoint has no token left waits, holding no
// concurrency slot, on one timer until the next token, then pumps again.

export interface EndpointQueuesOptions<J> {
  /** Concurrent jobs per endpoint. */
  concurrency: number;
  /** Jobs waiting per endpoint; `offer` refuses beyond it (the caller defers the job durably). */
  queueCap: number;
  /** Runs one job; must not reject (failures are outcomes, handled inside). */
  run: (job: J) => Promise<void>;
  /** A job's size in bytes, for `waitingBytes` (0 without it). */
  sizeOf?: (job: J) => number;
  /** Takes a token for one request to `endpoint`: 0 to start a job now, else ms to wait (rate limit). */
  admit?: (endpoint: string) => number;
  /** Called with the number of jobs that start waiting for the endpoint's rate (each job once). */
  onThrottled?: (jobs: number) => void;
}

interface Lane<J> {
  waiting: J[];
  active: number;
  /** Set while the lane waits for its endpoint's next token. */
  refill: NodeJS.Timeout | null;
  /** Leading waiting jobs already counted as throttled (all of them while `refill` is set). */
  throttled: number;
}

export class EndpointQueues<J> {
  private readonly lanes = new Map<string, Lane<J>>();
  private waitingTotal = 0;
  private waitingBytesTotal = 0;
  private activeTotal = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: EndpointQueuesOptions<J>) {}

  /** Queues `job` for `endpoint`; false when that endpoint's queue is full. */
  offer(endpoint: string, job: J): boolean {
    const lane = this.lanes.get(endpoint) ?? { waiting: [], active: 0, refill: null, throttled: 0 };
    if (lane.waiting.length >= this.options.queueCap) return false;
    this.lanes.set(endpoint, lane);
    lane.waiting.push(job);
    this.waitingTotal++;
    this.waitingBytesTotal += this.options.sizeOf?.(job) ?? 0;
    if (lane.refill !== null) {
      lane.throttled = lane.waiting.length;
      this.options.onThrottled?.(1);
    }
    this.pump(endpoint, lane);
    return true;
  }

  /** True while `endpoint`'s lane waits for its rate limit (a full lane then is the limit's doing). */
  throttled(endpoint: string): boolean {
    return (this.lanes.get(endpoint)?.refill ?? null) !== null;
  }

  /** Jobs waiting and running for one endpoint. */
  depth(endpoint: string): number {
    const lane = this.lanes.get(endpoint);
    return lane ? lane.waiting.length + lane.active : 0;
  }

  get waiting(): number {
    return this.waitingTotal;
  }

  /** Bytes of the jobs waiting (by `sizeOf`). */
  get waitingBytes(): number {
    return this.waitingBytesTotal;
  }

  get active(): number {
    return this.activeTotal;
  }

  /** Resolves when no job is waiting or running. */
  async idle(): Promise<void> {
    if (this.waitingTotal + this.activeTotal === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(endpoint: string, lane: Lane<J>): void {
    while (lane.active < this.options.concurrency && lane.waiting.length > 0 && lane.refill === null) {
      const waitMs = this.options.admit?.(endpoint) ?? 0;
      if (waitMs > 0) {
        this.throttle(endpoint, lane, waitMs);
        return;
      }
      const job = lane.waiting.shift()!;
      if (lane.throttled > 0) lane.throttled--;
      this.waitingTotal--;
      this.waitingBytesTotal -= this.options.sizeOf?.(job) ?? 0;
      lane.active++;
      this.activeTotal++;
      void this.options.run(job).finally(() => {
        lane.active--;
        this.activeTotal--;
        if (lane.waiting.length > 0) this.pump(endpoint, lane);
        else if (lane.active === 0) this.lanes.delete(endpoint);
        if (this.waitingTotal + this.activeTotal === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
      });
    }
  }

  /** Waits for the endpoint's next token on a timer (no slot held, no busy loop), then pumps again. */
  private throttle(endpoint: string, lane: Lane<J>, waitMs: number): void {
    const newlyThrottled = lane.waiting.length - lane.throttled;
    lane.throttled = lane.waiting.length;
    if (newlyThrottled > 0) this.options.onThrottled?.(newlyThrottled);
    lane.refill = setTimeout(() => {
      lane.refill = null;
      this.pump(endpoint, lane);
    }, waitMs);
    // Jobs left waiting at shutdown are not lost: their records are not committed, their retry rows come back.
    lane.refill.unref();
  }
}
