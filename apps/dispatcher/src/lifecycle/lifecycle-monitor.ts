// The lifecycle's clock. Every ENDPOINT_LIFECYCLE_CHECK_MS, on every instance: folds a `check` into
// each endpoint failing long enough to be warned or disabled (row locks let one instance at a time
// decide; a warning decided twice has one id), disables those whose period is over through the
// webhook domain (the same operation as PATCH enabled=false and 410 Gone; its webhook_state record
// becomes the endpoint.disabled transition in the projection), and publishes transitions that are
// not yet on the delivery topic. Runs sooner when the projection records a transition.
import type { JsonLogger } from '@vowchat/platform';
import type { EndpointLifecycleRecord } from '@vowchat/events';
import type { DataSource } from 'typeorm';
import type { Clock } from '../tokens';
import { publishPendingTransitions, type LifecycleStore } from './lifecycle.store';

export interface LifecycleMonitorDeps {
  db: DataSource;
  store: LifecycleStore;
  disable: (webhookId: string, reason: string) => Promise<unknown>;
  publish: (records: EndpointLifecycleRecord[]) => Promise<void>;
  clock: Clock;
  log: JsonLogger;
  intervalMs: number;
}

export class LifecycleMonitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(private readonly deps: LifecycleMonitorDeps) {}

  start(): void {
    this.stopped = false;
    this.schedule(this.deps.intervalMs);
  }

  /** Runs a cycle now (or right after the one running). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One cycle: checks, disables, publishes. Errors are logged and the next cycle tries again. */
  async runOnce(): Promise<void> {
    const { db, store, clock, log } = this.deps;
    try {
      const now = clock.now();
      const due = await store.dueForCheck(db, now);
      if (due.length > 0) {
        const result = await db.transaction((tx) =>
          store.fold(
            tx,
            due.map(({ webhookId, accountId }) => ({
              webhookId,
              accountId,
              input: { kind: 'check', at: now },
            })),
          ),
        );
        for (const { webhookId, reason } of result.disableDue) {
          log.warnWith('disabling a webhook that has failed for too long', { webhook_id: webhookId, reason });
          await this.deps.disable(webhookId, reason);
        }
      }
      while ((await publishPendingTransitions(db, this.deps.publish)) > 0);
    } catch (error) {
      log.errorWith('endpoint lifecycle check failed', { error: (error as Error).message });
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.runOnce().finally(() => {
        this.running = null;
        const soon = this.again;
        this.again = false;
        this.schedule(soon ? 0 : this.deps.intervalMs);
      });
    }, delayMs);
  }
}
