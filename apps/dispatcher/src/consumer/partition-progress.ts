// The watermark rule (Confluent's Parallel Consumer): records of a partition finish out of order,
// but its committed offset only moves up to the lowest offset whose work is not yet durable.
// Offsets are kept as numbers: exact up to 2^53, far beyond any partition's lifetime.

export class PartitionProgress {
  /** Offsets taken and not yet done, in ascending order (taken in order, so appends keep it sorted). */
  private readonly open: number[] = [];
  private readonly done = new Set<number>();
  private nextToTake: number | null = null;
  private committed: number | null = null;

  /**
   * Records a record as taken; its work is open until `finish(offset)`. Returns false for an offset
   * already taken (a re-fetch after a rebalance): its work is in flight or done, so skip it.
   */
  take(offset: number): boolean {
    if (this.nextToTake !== null && offset < this.nextToTake) return false;
    this.open.push(offset);
    this.nextToTake = offset + 1;
    return true;
  }

  /** Marks a taken record's work durable. */
  finish(offset: number): void {
    this.done.add(offset);
    // Drop the finished prefix; what remains starts at the lowest open offset.
    while (this.open.length > 0 && this.done.has(this.open[0])) {
      this.done.delete(this.open.shift()!);
    }
  }

  /** Taken records whose work is not yet durable (what is buffered in memory). */
  get inFlight(): number {
    return this.open.length - this.done.size;
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

  markCommitted(offset: number): void {
    this.committed = offset;
  }
}
