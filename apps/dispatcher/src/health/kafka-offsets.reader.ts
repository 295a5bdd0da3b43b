// Kafka offsets for the platform's indicators, through one lazily connected admin client: a consumer
// group's lag (committed offsets against each partition's end) and how many dead letters a topic
// holds. Every call is bounded by a deadline so a broker outage slows the operator view by seconds,
// not by kafkajs's retry budget.
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { KAFKA } from '../tokens';
import { lagFromOffsets, type PartitionLag } from './consumer-lag';

const DEADLINE_MS = 3_000;

export interface DeadLetterCounts {
  /** Records the topic still retains. */
  retained: number;
  /** Records written at or after `since`. */
  since: number;
}

@Injectable()
export class KafkaOffsetsReader implements OnModuleDestroy {
  private admin: Promise<Admin> | null = null;

  constructor(@Inject(KAFKA) private readonly kafka: Kafka) {}

  /** Records between the group's committed offsets and the end of every partition of `topics`. */
  async groupLag(groupId: string, topics: string[]): Promise<PartitionLag[]> {
    return this.bounded(async (admin) => {
      const [committed, ...ends] = await Promise.all([
        admin.fetchOffsets({ groupId, topics }),
        ...topics.map((topic) => admin.fetchTopicOffsets(topic)),
      ]);
      return topics.flatMap((topic, i) =>
        lagFromOffsets(topic, ends[i], committed.find((c) => c.topic === topic)?.partitions ?? []),
      );
    });
  }

  async deadLetters(topic: string, since: Date): Promise<DeadLetterCounts> {
    return this.bounded(async (admin) => {
      const [ends, fromSince] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchTopicOffsetsByTimestamp(topic, since.getTime()),
      ]);
      let retained = 0;
      let recent = 0;
      for (const end of ends) {
        retained += Number(end.high) - Number(end.low);
        const start = fromSince.find((p) => p.partition === end.partition)?.offset ?? end.high;
        recent += Number(end.high) - Math.max(Number(start), Number(end.low));
      }
      return { retained, since: recent };
    });
  }

  async onModuleDestroy(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    if (admin) await (await admin.catch(() => null))?.disconnect();
  }

  private async bounded<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Kafka did not answer within ${DEADLINE_MS} ms`)),
        DEADLINE_MS,
      );
    });
    try {
      return await Promise.race([this.connected().then(work), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private connected(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      this.admin = admin.connect().then(
        () => admin,
        (error: unknown) => {
          this.admin = null; // the next call tries again
          throw error;
        },
      );
    }
    return this.admin;
  }
}
