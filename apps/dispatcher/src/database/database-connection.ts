// Connects the dispatcher's DataSource and migrates its schema: at boot when Postgres answers, in
// the background when it does not. Delivery needs Kafka and the webhook registry (which the
// compacted webhooks topic can load), not Postgres, so a dispatcher restarted during a Postgres
// outage starts and delivers (issue 13). Until Postgres comes, what needs it waits: durable writes
// retry (a query on the unconnected DataSource fails with a retriable error), the API answers 503,
// and work registered with `whenReadyRun` runs once it is connected and migrated.
import type { DataSource } from 'typeorm';
import type { JsonLogger } from '@vowchat/platform';
import { isDatabaseUnreachable } from './database-errors';

export interface DatabaseConnectionOptions {
  /** Creates the schema if needed and applies pending migrations; returns the names applied. */
  migrate: (dataSource: DataSource) => Promise<string[]>;
  log: JsonLogger;
  /** First and longest wait between background attempts. */
  retryMs?: { first: number; longest: number };
  sleep?: (ms: number) => Promise<void>;
}

export class DatabaseConnection {
  private readyNow = false;
  private stopped = false;
  private markReady!: () => void;
  private readonly readyPromise = new Promise<void>((resolve) => (this.markReady = resolve));
  private background: Promise<void> | null = null;
  private readonly waits = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();

  constructor(
    readonly dataSource: DataSource,
    private readonly options: DatabaseConnectionOptions,
  ) {}

  /** True once connected and migrated (it stays true: a later outage is the pool's to ride out). */
  get ready(): boolean {
    return this.readyNow;
  }

  whenReady(): Promise<void> {
    return this.readyPromise;
  }

  /**
   * Tries to connect and migrate once. Postgres unreachable: resolves false and keeps trying in the
   * background. Any other error (bad credentials, no such database, a failing migration) is thrown:
   * it is the configuration's to fix, and retrying would only hide it.
   */
  async connectAtBoot(): Promise<boolean> {
    try {
      await this.connectAndMigrate();
      return true;
    } catch (error) {
      if (!isDatabaseUnreachable(error)) throw error;
      this.options.log.warnWith(
        'Postgres unavailable: starting without it, and connecting in the background',
        {
          error: (error as Error).message,
          meanwhile:
            'events are delivered; retries and deferrals wait to be written, the projection and the API wait for Postgres (503)',
        },
      );
      this.background = this.connectInBackground();
      return false;
    }
  }

  /**
   * Runs `work` now when connected (its failure is the caller's), else once connected, retrying it
   * until it succeeds: for idempotent work that boot would otherwise have done (loading, repairing).
   */
  async whenReadyRun(what: string, work: () => Promise<void>): Promise<void> {
    if (this.readyNow) return work();
    void this.readyPromise.then(() => this.untilDone(what, work));
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const wait of this.waits) {
      clearTimeout(wait.timer);
      wait.wake();
    }
    await this.background;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private async connectAndMigrate(): Promise<void> {
    if (!this.dataSource.isInitialized) await this.dataSource.initialize();
    const applied = await this.options.migrate(this.dataSource);
    if (applied.length > 0) this.options.log.info('migrations applied', { migrations: applied });
    this.readyNow = true;
    this.markReady();
  }

  private async connectInBackground(): Promise<void> {
    const { first, longest } = this.options.retryMs ?? { first: 1_000, longest: 10_000 };
    const startedAt = Date.now();
    for (let wait = first; !this.stopped; wait = Math.min(wait * 2, longest)) {
      await this.pause(wait);
      if (this.stopped) return;
      try {
        await this.connectAndMigrate();
        this.options.log.info('Postgres connected', { unavailable_for_ms: Date.now() - startedAt });
        return;
      } catch (error) {
        this.options.log.warnWith('Postgres still unavailable; trying again', {
          error: (error as Error).message,
          retry_in_ms: Math.min(wait * 2, longest),
        });
      }
    }
  }

  private async untilDone(what: string, work: () => Promise<void>): Promise<void> {
    const { first, longest } = this.options.retryMs ?? { first: 1_000, longest: 10_000 };
    for (let wait = first; !this.stopped; wait = Math.min(wait * 2, longest)) {
      try {
        await work();
        return;
      } catch (error) {
        this.options.log.warnWith('work waiting for Postgres failed; trying again', {
          what,
          error: (error as Error).message,
          retry_in_ms: wait,
        });
      }
      await this.pause(wait);
    }
  }

  /** Sleeps, unless the connection is closed meanwhile (shutdown never waits on a retry). */
  private pause(ms: number): Promise<void> {
    if (this.options.sleep) return this.options.sleep(ms);
    return new Promise<void>((resolve) => {
      const wait = {
        timer: setTimeout(() => {
          this.waits.delete(wait);
          resolve();
        }, ms),
        wake: resolve,
      };
      wait.timer.unref();
      this.waits.add(wait);
    });
  }
}
