// What the rebuild checks before it empties anything: whether the delivery topic still holds its
// whole history. A partition whose first offset is past 0 has had records deleted (by retention,
// 7 days by default, or by an operator); replaying it would rebuild the projection without them,
// silently. The rebuild refuses unless the operator says a partial rebuild is what they want.

/** The flag that lets the rebuild go ahead anyway. */
export const ALLOW_PARTIAL = '--allow-partial';

/** A partition's first offset still on the topic, and its end. */
export interface PartitionRange {
  partition: number;
  low: bigint;
  high: bigint;
}

/** The partitions that no longer start at offset 0, by partition. */
export function truncatedPartitions(ranges: Iterable<PartitionRange>): PartitionRange[] {
  return [...ranges].filter((p) => p.low > 0n).sort((a, b) => a.partition - b.partition);
}

/** The rebuild would lose history the projection holds; nothing has been emptied. */
export class HistoryDeletedError extends Error {
  constructor(
    readonly topic: string,
    readonly truncated: PartitionRange[],
  ) {
    const lost = truncated.reduce((sum, p) => sum + p.low, 0n);
    const where = truncated.map((p) => `partition ${p.partition} starts at offset ${p.low}`).join(', ');
    super(
      `the delivery topic "${topic}" no longer holds its whole history: ${where} ` +
        `(${lost} records deleted, by retention or by hand). Rebuilding would replace the projection ` +
        `with what remains and lose those records' attempts, so the projection was left as it is. ` +
        `To rebuild from what remains anyway, run again with ${ALLOW_PARTIAL}; to keep the whole ` +
        `history for future rebuilds, raise the topic's retention.ms (records already deleted do not come back)`,
    );
    this.name = 'HistoryDeletedError';
  }
}

export interface RebuildArgs {
  /** Rebuild even when the topic's oldest records have been deleted. */
  allowPartial: boolean;
}

/** The command line of projection:rebuild; throws on anything it does not know. */
export function parseRebuildArgs(argv: readonly string[]): RebuildArgs {
  const unknown = argv.filter((arg) => arg !== ALLOW_PARTIAL);
  if (unknown.length > 0) {
    throw new Error(
      `unknown argument ${unknown.map((a) => `"${a}"`).join(', ')}; usage: projection:rebuild [${ALLOW_PARTIAL}]`,
    );
  }
  return { allowPartial: argv.includes(ALLOW_PARTIAL) };
}
