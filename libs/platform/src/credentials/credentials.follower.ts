// Follows the compacted credentials topic from its beginning into a CredentialSet: how every
// dispatcher and producer instance learns of issued and revoked tokens within about a second,
// without a database query per request (decision 0014). The consumer group is unique to the
// instance (every instance needs every change) and commits nothing (each boot replays the topic).
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { ensureTopics } from '../kafka-client';
import { TopicCatchUp } from '../topic-catch-up';
import type { JsonLogger } from '../logger';
import { decodeCredentialChange, type CredentialChange } from './credential-record';
import { CredentialSet } from './credential-set';
import type { Principal } from './principal';

/** Provide a CredentialResolver under this, and ApiTokenGuard accepts issued tokens as well. */
export const CREDENTIALS = Symbol('CREDENTIALS');

export interface CredentialResolver {
  /**
   * The principal of an issued token; undefined when it is unknown or revoked; 'unavailable' when
   * this instance cannot vouch for issued tokens now (not yet caught up, or its follower failed):
   * refused with 503 rather than trusted on stale knowledge.
   */
  resolve(token: string): Principal | undefined | 'unavailable';
}

export interface CredentialsFollowerOptions {
  topic: string;
  /** Prefix of the instance's own consumer group. */
  groupPrefix: string;
  /** Replicas of the topic when this instance has to create it (KAFKA_REPLICATION_FACTOR). */
  replicationFactor?: number;
  /** How long start() waits to have read the topic to its end before the app serves anyway (503s meanwhile). */
  catchUpTimeoutMs?: number;
}

export class CredentialsFollower implements CredentialResolver {
  private readonly set = new CredentialSet();
  private readonly consumer: Consumer;
  private readonly logger: JsonLogger;
  private state: 'starting' | 'following' | 'failed' | 'stopped' = 'starting';

  constructor(
    private readonly kafka: Kafka,
    logger: JsonLogger,
    private readonly options: CredentialsFollowerOptions,
  ) {
    this.logger = logger.child({ component: 'credentials' });
    this.consumer = kafka.consumer({
      groupId: `${options.groupPrefix}-credentials-${randomUUID()}`,
      allowAutoTopicCreation: false,
      // Data returns at once; a short long-poll only keeps shutdown quick.
      maxWaitTimeInMs: 500,
      // kafkajs's default (5 retries), and no restart once stopped: a crash while the app closes
      // would otherwise rejoin the group after shutdown.
      retry: { retries: 5, restartOnFailure: async () => this.state !== 'stopped' },
    });
  }

  /** Issued tokens this instance accepts now. */
  get size(): number {
    return this.set.size;
  }

  resolve(token: string): Principal | undefined | 'unavailable' {
    if (this.state !== 'following') return 'unavailable';
    return this.set.resolve(token);
  }

  /**
   * A change this instance has just published: applied now, so the instance that revoked a token
   * refuses it from the revoke's answer on, not only once its own follower reads the record back.
   */
  applyPublished(change: CredentialChange): void {
    this.set.apply(change);
  }

  /** Creates the topic if missing, then follows it; resolves once it has read to the end (or the timeout). */
  async start(): Promise<void> {
    const { topic, catchUpTimeoutMs = 15_000, replicationFactor = 1 } = this.options;
    // One partition: a few thousand small records at most, read whole by every instance.
    await ensureTopics(this.kafka, [{ topic, partitions: 1, compacted: true }], { replicationFactor });
    const catchUp = await TopicCatchUp.of(this.kafka, topic);
    void catchUp.reached.then(() => {
      if (this.state !== 'starting') return;
      this.state = 'following';
      this.logger.info('credentials loaded', { topic, tokens: this.set.size });
    });

    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      this.logger.errorWith('credentials follower crashed', {
        error: payload.error.message,
        restarting: payload.restart,
      });
      // Without a restart, revocations would no longer arrive: refuse issued tokens from now on.
      if (!payload.restart) this.state = 'failed';
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const decoded = decodeCredentialChange(
            message.key?.toString() ?? null,
            message.value?.toString() ?? null,
          );
          if (decoded.ok) this.set.apply(decoded.change);
          else
            this.logger.warnWith('skipped an unreadable credentials record', {
              topic,
              partition: batch.partition,
              offset: message.offset,
              reason: decoded.reason,
            });
        }
        catchUp.batchRead(batch.partition, batch.lastOffset());
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, catchUpTimeoutMs)));
    await Promise.race([catchUp.reached, timedOut]);
    clearTimeout(timer);
    if (this.state === 'starting')
      this.logger.warnWith('credentials not yet loaded: issued tokens get 503 until they are', {
        topic,
        waited_ms: catchUpTimeoutMs,
      });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await this.consumer.disconnect();
  }
}

/**
 * Starts a follower of `topic` on `kafka` and hands it out as the CREDENTIALS provider's value
 * (its onApplicationShutdown stops it with the app).
 */
export async function followCredentials(
  kafka: Kafka,
  logger: JsonLogger,
  options: CredentialsFollowerOptions,
): Promise<CredentialsFollower> {
  const follower = new CredentialsFollower(kafka, logger, options);
  await follower.start();
  return follower;
}
