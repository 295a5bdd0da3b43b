// Brings due retries back from the retry store into the endpoint lanes, every few hundred ms, on
// every instance (rows are leased with SKIP LOCKED, so instances never take the same one). It
// leases only what the lanes have room for, so waiting retries never crowd out fresh events.
import type { JsonLogger } from '@vowchat/platform';
import type { DeliveryJob } from '../delivery/delivery-job';
import type { Clock } from '../tokens';
import type { RetryStore } from './retry-store';

export interface RetryPollerDeps {
  store: Pick<RetryStore, 'leaseDue'>;
  /** Hands a leased job to its lane (or defers it again when the lane is full). */
  submit: (job: DeliveryJob, durable: () => void) => void;
  /** Jobs waiting in lanes now; the poller leases nothing while it is at `maxQueued`. */
  queued: () => number;
  /** Body bytes of the jobs waiting in lanes now; leases stop at `maxQueuedBytes`. */
  queuedBytes: () => number;
  clock: Clock;
  log: JsonLogger;
  settings: { pollMs: number; batch: number; leaseMs: number; maxQueued: number; maxQueuedBytes: number };
}

export class RetryPoller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly deps: RetryPollerDeps) {}

  start(): void {
    this.stopped = false;
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.pollOnce()
      .then(() => undefined)
      .catch((error: Error) =>
        this.deps.log.warnWith('retry poll failed; will try again', { error: error.message }),
      )
      .finally(() => {
        if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.deps.settings.pollMs);
      });
  }

  /** Leases and submits due retries; returns how many. */
  async pollOnce(): Promise<number> {
    const { settings } = this.deps;
    const room = Math.min(settings.batch, settings.maxQueued - this.deps.queued());
    const roomBytes = settings.maxQueuedBytes - this.deps.queuedBytes();
    if (room <= 0 || roomBytes <= 0) return 0;
    const jobs = await this.deps.store.leaseDue(this.deps.clock.now(), room, settings.leaseMs, roomBytes);
    for (const job of jobs) this.deps.submit(job, () => undefined);
    if (jobs.length > 0) this.deps.log.debug('retries due', { count: jobs.length });
    return jobs.length;
  }
}
