// Reading a topic from its beginning "to its end": the end offsets it had when reading began. How
// a follower of a small compacted topic (credentials, webhooks) knows it has loaded all of it
// before it serves. Fed with each fetched batch's partition and last offset; no I/O after `of`.
import type { Kafka } from 'kafkajs';

export class TopicCatchUp {
  private readonly pending: Map<number, number>;
  private markReached!: () => void;
  /** Resolves once every partition that held records at the start has been read to that end. */
  readonly reached = new Promise<void>((resolve) => (this.markReached = resolve));

  /** The end offsets of `topic`'s partitions now (partitions with no records need no reading). */
  static async of(kafka: Kafka, topic: string): Promise<TopicCatchUp> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return new TopicCatchUp(
        (await admin.fetchTopicOffsets(topic)).map((p) => ({
          partition: p.partition,
          low: Number(p.low),
          high: Number(p.high),
        })),
      );
    } finally {
      await admin.disconnect();
    }
  }

  constructor(partitions: { partition: number; low: number; high: number }[]) {
    this.pending = new Map(partitions.filter((p) => p.high > p.low).map((p) => [p.partition, p.high]));
    if (this.pending.size === 0) this.markReached();
  }

  /** Notes that `partition` has been read up to `lastOffset` (a fetched batch's last offset). */
  batchRead(partition: number, lastOffset: string): void {
    const end = this.pending.get(partition);
    if (end === undefined || Number(lastOffset) + 1 < end) return;
    this.pending.delete(partition);
    if (this.pending.size === 0) this.markReached();
  }

  /** Partitions not yet read to their end. */
  get behind(): number[] {
    return [...this.pending.keys()];
  }
}
