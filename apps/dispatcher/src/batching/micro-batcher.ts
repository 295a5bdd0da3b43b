// Group commit: callers add items one at a time and await their own item; the batcher writes them
// in batches (one round trip per batch, at most one batch in flight). Nothing on the hot path waits
// on a single row, and memory stays bounded in items and, when items have a size, in bytes: `add`
// waits while the queue is full.

export interface MicroBatcherOptions<T> {
  /**
   * Writes one batch. Rejecting fails every item of the batch; resolving with an array fails only
   * the items whose entry is an error (by index), so one bad item does not fail its neighbours.
   */
  flush: (items: T[]) => Promise<void | readonly (Error | undefined)[]>;
  /** Most items per batch. */
  maxBatch: number;
  /** How long the first item of a batch may wait for company, in ms. */
  lingerMs: number;
  /** Most items queued (not yet flushed) before `add` waits for room. */
  maxPending: number;
  /** An item's size in bytes; with the two caps below, batches and the queue are bounded in bytes. */
  sizeOf?: (item: T) => number;
  /** Most bytes per batch (a batch always takes at least one item). */
  maxBatchBytes?: number;
  /** Most bytes queued before `add` waits for room (an empty queue always takes one item). */
  maxPendingBytes?: number;
}

interface Pending<T> {
  item: T;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class MicroBatcher<T> {
  private queue: Pending<T>[] = [];
  private queuedBytes = 0;
  private flushing = false;
  private timer: NodeJS.Timeout | null = null;
  private roomWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly options: MicroBatcherOptions<T>) {}

  /** Queued items, for gauges. */
  get pending(): number {
    return this.queue.length;
  }

  /** Bytes of the queued items (0 without `sizeOf`). */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Resolves once the batch holding `item` has been written. */
  async add(item: T): Promise<void> {
    const bytes = this.options.sizeOf?.(item) ?? 0;
    while (this.full(bytes)) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    if (this.closed) throw new Error('batcher is closed');
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, bytes, resolve, reject });
      this.queuedBytes += bytes;
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

  private full(bytes: number): boolean {
    if (this.queue.length >= this.options.maxPending) return true;
    const maxBytes = this.options.maxPendingBytes;
    return maxBytes !== undefined && this.queue.length > 0 && this.queuedBytes + bytes > maxBytes;
  }

  private schedule(): void {
    if (this.flushing) return;
    const maxBytes = this.options.maxBatchBytes;
    if (
      this.queue.length >= this.options.maxBatch ||
      (maxBytes !== undefined && this.queuedBytes >= maxBytes)
    ) {
      void this.flushNow();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => void this.flushNow(), this.options.lingerMs);
    }
  }

  /** Takes the next batch off the queue: at most maxBatch items and maxBatchBytes bytes. */
  private takeBatch(): Pending<T>[] {
    const maxBytes = this.options.maxBatchBytes ?? Infinity;
    let count = 0;
    let bytes = 0;
    while (count < this.queue.length && count < this.options.maxBatch) {
      const next = this.queue[count].bytes;
      if (count > 0 && bytes + next > maxBytes) break;
      bytes += next;
      count++;
    }
    this.queuedBytes -= bytes;
    return this.queue.splice(0, count);
  }

  private async flushNow(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.takeBatch();
    this.roomWaiters.splice(0).forEach((wake) => wake());
    try {
      const failures = await this.options.flush(batch.map((p) => p.item));
      batch.forEach((p, i) => {
        const failure = failures?.[i];
        if (failure) p.reject(failure);
        else p.resolve();
      });
    } catch (error) {
      batch.forEach((p) => p.reject(error));
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
