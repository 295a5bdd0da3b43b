// Lag of a consumer group from offsets: what it has committed against where each partition ends.

export interface PartitionLag {
  topic: string;
  partition: number;
  lagRecords: number;
  /** Age of the oldest record not yet consumed; null when the source cannot tell. */
  lagSeconds: number | null;
}

export interface PartitionOffsets {
  partition: number;
  /** Next offset to be written. */
  high: string;
  /** Oldest offset still retained. */
  low: string;
}

/**
 * Records between a group's committed offset and the end of each partition. A partition the group
 * has never committed (offset -1) lags by everything retained.
 */
export function lagFromOffsets(
  topic: string,
  ends: readonly PartitionOffsets[],
  committed: readonly { partition: number; offset: string }[],
): PartitionLag[] {
  const at = new Map(committed.map((c) => [c.partition, Number(c.offset)]));
  return [...ends]
    .sort((a, b) => a.partition - b.partition)
    .map(({ partition, high, low }) => {
      const offset = at.get(partition) ?? -1;
      const from = offset < 0 ? Number(low) : Math.max(offset, Number(low));
      return { topic, partition, lagRecords: Math.max(0, Number(high) - from), lagSeconds: null };
    });
}
