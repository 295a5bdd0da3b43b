// Group commit: callers add items one at a time and await their own item; the batcher writes them
// in batches (one round trip per batch, at most one batch in flight). Nothing on the hot path waits
// on a single row, and memory stays bounded: `add` waits while `maxPending` items are queued.

export interface MicroBatcherOptions<T> {
  /** Writes one batch; rejecting fails every item of that batch. */
  flush: (items: T[]) => Promise<void>;
  /** Most items per batch. */
  maxBatch: number;
  /** How long the first item of a batch may wait for company, in ms. */
  lingerMs: number;
  /** Most items queued (not yet flushed) before `add` waits for room. */
  maxPending: number;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class MicroBatcher<T> {
  private queue: Pending<T>[] = [];
  private flushing = false;
  private timer: NodeJS.Timeout | null = null;
  private roomWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly options: MicroBatcherOptions<T>) {}

  /** Queued items, for gauges. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once the batch holding `item` has been written. */
  async add(item: T): Promise<void> {
    while (this.queue.length >= this.options.maxPending) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    if (this.closed) throw new Error('batcher is closed');
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Writes everything queued and stops accepting items. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.flushing) {
      if (!this.flushing) await this.flushNow();
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private schedule(): void {
    if (this.flushing) return;
    if (this.queue.length >= this.options.maxBatch) {
      void this.flushNow();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => void this.flushNow(), this.options.lingerMs);
    }
  }

  private async flushNow(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.roomWaiters.splice(0).forEach((wake) => wake());
    try {
      await this.options.flush(batch.map((p) => p.item));
      batch.forEach((p) => p.resolve());
    } catch (error) {
      batch.forEach((p) => p.reject(error));
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
