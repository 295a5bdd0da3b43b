// Publishes the webhook changes and state records left in the outbox (webhook-outbox.ts): every
// instance runs one, on a timer. Two relays never publish the same row (SKIP LOCKED); a row
// published both by the fast path and a relay reaches its topic twice, which is harmless
// (registries apply changes by version; the projection writes a state record once, by its id). A
// failure (Kafka or Postgres unreachable, or the database not connected yet) is logged and the
// next tick tries again: the rows wait in Postgres.
import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { SampledLog, type JsonLogger } from '@vowchat/platform';
import { LOGGER } from '../tokens';
import { WebhookChangePublisher } from './webhook-changes.publisher';
import { DEFAULT_RELAY_TIMING, groupByKind, type OutboxKind, type RelayTiming } from './webhook-outbox';
import { WebhookOutboxRepository, type RelayedRecord } from './webhook-outbox.repository';

/** The longest shutdown waits for a tick in flight. */
const SHUTDOWN_WAIT_MS = 10_000;

/** Overrides the relay's timing (tests). */
export const OUTBOX_RELAY_TIMING = Symbol('OUTBOX_RELAY_TIMING');

@Injectable()
export class WebhookOutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly timing: RelayTiming;
  private readonly log: JsonLogger;
  private readonly failures: SampledLog;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopped = false;
  private failing = false;
  /** Where each kind of row is published: its topic, and that topic's headers. */
  private readonly sinks: Record<OutboxKind, (records: { key: string; value: string }[]) => Promise<void>>;

  constructor(
    @Inject(WebhookOutboxRepository) private readonly outbox: Pick<WebhookOutboxRepository, 'relay'>,
    @Inject(WebhookChangePublisher)
    publisher: Pick<WebhookChangePublisher, 'publishRecords' | 'publishStateRecords'>,
    @Inject(LOGGER) logger: JsonLogger,
    @Optional() @Inject(OUTBOX_RELAY_TIMING) timing?: Partial<RelayTiming>,
  ) {
    this.timing = { ...DEFAULT_RELAY_TIMING, ...timing };
    this.sinks = {
      webhook_change: (records) => publisher.publishRecords(records),
      webhook_state: (records) => publisher.publishStateRecords(records),
    };
    this.log = logger.child({ component: 'webhook-outbox' });
    // While Postgres or Kafka is down every tick fails: one line at once, then one per minute.
    this.failures = new SampledLog(this.log, { intervalMs: 60_000 });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => (this.running = null));
    }, this.timing.everyMs).unref();
  }

  /** Publishes every due row; never throws. Returns how many were published. */
  async tick(): Promise<number> {
    const { minAgeMs, batchSize } = this.timing;
    let relayed = 0;
    try {
      let batch: number;
      do {
        batch = await this.outbox.relay(minAgeMs, batchSize, (records) => this.publish(records));
        relayed += batch;
      } while (batch === batchSize && !this.stopped);
    } catch (error) {
      this.failing = true;
      this.failures.error('outbox_relay_failed', 'webhook outbox relay failed; retrying next tick', {
        error: (error as Error).message,
        relayed,
        retry_in_ms: this.timing.everyMs,
      });
      return relayed;
    }
    if (this.failing) {
      this.failing = false;
      this.log.info('webhook outbox relay working again');
    }
    // Only rows whose fast publish failed, or whose instance stopped before it: worth a line.
    if (relayed > 0) this.log.info('relayed webhook changes from the outbox', { records: relayed });
    return relayed;
  }

  /** One send per topic, each in the rows' order (a batch fails whole, and is retried whole). */
  private async publish(records: RelayedRecord[]): Promise<void> {
    for (const [kind, group] of groupByKind(records)) {
      await this.sinks[kind](group.map(({ key, value }) => ({ key, value })));
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // A tick stuck on an unreachable Postgres or Kafka must not hold shutdown: its transaction rolls
    // back when the pool closes, and the rows wait for the next instance's relay.
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      this.running,
      new Promise((resolve) => (timeout = setTimeout(resolve, SHUTDOWN_WAIT_MS).unref())),
    ]);
    clearTimeout(timeout);
    this.failures.flush();
  }
}
