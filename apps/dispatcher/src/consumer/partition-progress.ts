// The watermark rule (Confluent's Parallel Consumer): records of a partition finish out of order,
// but its committed offset only moves up to the lowest offset whose work is not yet durable.
// Offsets are kept as numbers: exact up to 2^53, far beyond any partition's lifetime.
// It also keeps what the partition holds in memory (records and bytes) and when its watermark last
// moved, so the consumer can pause on bytes and readiness can name a partition that is stuck.

interface OpenRecord {
  bytes: number;
  /** The record's Kafka timestamp (epoch ms): how old the oldest unfinished record is. */
  timestampMs: number;
}

export class PartitionProgress {
  /** Offsets taken and not yet done, in ascending order (taken in order, so appends keep it sorted). */
  private readonly open: number[] = [];
  private readonly meta = new Map<number, OpenRecord>();
  private readonly done = new Set<number>();
  private nextToTake: number | null = null;
  private committed: number | null = null;
  private bytes = 0;
  private lastTakenTimestampMs = 0;
  /** When the lowest open offset last moved (or the partition last went from idle to busy). */
  private progressAtMs = 0;

  /**
   * Records a record as taken; its work is open until `finish(offset)`. Returns false for an offset
   * already taken (a re-fetch after a rebalance): its work is in flight or done, so skip it.
   */
  take(offset: number, bytes = 0, timestampMs = 0, nowMs = 0): boolean {
    if (this.nextToTake !== null && offset < this.nextToTake) return false;
    if (this.open.length === this.done.size) this.progressAtMs = nowMs;
    this.open.push(offset);
    this.meta.set(offset, { bytes, timestampMs });
    this.bytes += bytes;
    this.nextToTake = offset + 1;
    this.lastTakenTimestampMs = timestampMs;
    return true;
  }

  /** Marks a taken record's work durable; its bytes are no longer held. */
  finish(offset: number, nowMs = 0): void {
    const meta = this.meta.get(offset);
    if (!meta) return;
    this.meta.delete(offset);
    this.bytes -= meta.bytes;
    this.done.add(offset);
    // Drop the finished prefix; what remains starts at the lowest open offset.
    if (this.open[0] === offset) this.progressAtMs = nowMs;
    while (this.open.length > 0 && this.done.has(this.open[0])) {
      this.done.delete(this.open.shift()!);
    }
  }

  /** Taken records whose work is not yet durable (what is buffered in memory). */
  get inFlight(): number {
    return this.open.length - this.done.size;
  }

  /** Bytes (key, value, headers) of the records in flight. */
  get inFlightBytes(): number {
    return this.bytes;
  }

  /** The offset of the next record to take (null before the first). */
  get next(): number | null {
    return this.nextToTake;
  }

  /** How long the watermark has not moved while work is open (0 when idle). */
  stalledForMs(nowMs: number): number {
    return this.inFlight === 0 ? 0 : Math.max(0, nowMs - this.progressAtMs);
  }

  /**
   * Age of the oldest record not yet durable; when nothing is in flight but the partition holds
   * more than was taken (`highWatermark`), the age of the last record taken (an upper bound).
   */
  lagMs(nowMs: number, highWatermark: number | null): number {
    if (this.inFlight > 0) {
      const oldest = this.meta.get(this.open[0]);
      return oldest ? Math.max(0, nowMs - oldest.timestampMs) : 0;
    }
    if (highWatermark !== null && this.nextToTake !== null && highWatermark > this.nextToTake)
      return Math.max(0, nowMs - this.lastTakenTimestampMs);
    return 0;
  }

  /**
   * The offset to commit (the next record a restarted consumer should read), or null when it has
   * not moved since the last `markCommitted`.
   */
  commitCandidate(): number | null {
    const watermark = this.open.length > 0 ? this.open[0] : this.nextToTake;
    if (watermark === null || watermark === this.committed) return null;
    return watermark;
  }

  /** The lowest offset not yet durable (what a restart would re-read from). */
  get watermark(): number | null {
    return this.open.length > 0 ? this.open[0] : this.nextToTake;
  }

  markCommitted(offset: number): void {
    this.committed = offset;
  }
}
