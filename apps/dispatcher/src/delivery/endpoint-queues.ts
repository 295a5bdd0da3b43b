// One bounded FIFO queue per endpoint with its own concurrency cap, so a slow or dead endpoint only
// ever occupies its own slots: the healthy endpoints sharing its partitions keep flowing.

export interface EndpointQueuesOptions<J> {
  /** Concurrent jobs per endpoint. */
  concurrency: number;
  /** Jobs waiting per endpoint; `offer` refuses beyond it (the caller defers the job durably). */
  queueCap: number;
  /** Runs one job; must not reject (failures are outcomes, handled inside). */
  run: (job: J) => Promise<void>;
  /** A job's size in bytes, for `waitingBytes` (0 without it). */
  sizeOf?: (job: J) => number;
}

interface Lane<J> {
  waiting: J[];
  active: number;
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
    const lane = this.lanes.get(endpoint) ?? { waiting: [], active: 0 };
    if (lane.waiting.length >= this.options.queueCap) return false;
    this.lanes.set(endpoint, lane);
    lane.waiting.push(job);
    this.waitingTotal++;
    this.waitingBytesTotal += this.options.sizeOf?.(job) ?? 0;
    this.pump(endpoint, lane);
    return true;
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
    while (lane.active < this.options.concurrency && lane.waiting.length > 0) {
      const job = lane.waiting.shift()!;
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
}
