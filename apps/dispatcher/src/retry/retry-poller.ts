// Brings due retries back from the retry store into the endpoint lanes, every few hundred ms, on
// every instance (rows are leased with SKIP LOCKED, so instances never take the same one). It
// leases only what the lanes have room for, so waiting retries never crowd out fresh events.
// A job can wait in a slow endpoint's lane longer than its lease, so the poller renews the leases
// of its jobs until their outcomes are durable: docs/decisions/0019-retry-leases.md.
import type { JsonLogger } from '@vowchat/platform';
import type { DeliveryJob } from '../delivery/delivery-job';
import type { Clock } from '../tokens';
import type { RetryStore } from './retry-store';

export interface RetryPollerDeps {
  store: Pick<RetryStore, 'leaseDue' | 'renewLeases'>;
  /**
   * Hands a leased job to its lane (or defers it again when the lane is full); `durable` fires
   * once the job's outcome (or its deferral) is durable.
   */
  submit: (job: DeliveryJob, durable: () => void) => void;
  /** Jobs waiting in lanes now; the poller leases nothing while it is at `maxQueued`. */
  queued: () => number;
  /** Body bytes of the jobs waiting in lanes now; leases stop at `maxQueuedBytes`. */
  queuedBytes: () => number;
  clock: Clock;
  log: JsonLogger;
  settings: { pollMs: number; batch: number; leaseMs: number; maxQueued: number; maxQueuedBytes: number };
}

/** One lease this poller took: the row's delivery id, the attempt leased, and when the lease ends. */
export interface HeldLease {
  readonly deliveryId: string;
  readonly attempt: number;
  until: number;
}

/**
 * The leases whose jobs' outcomes are not durable yet, keyed by delivery id. A row leased again
 * (its earlier lease lapsed) replaces the earlier entry, and the earlier job's release leaves the
 * new one alone: each release names the lease it ends.
 */
export class HeldLeases {
  private readonly leases = new Map<string, HeldLease>();

  get size(): number {
    return this.leases.size;
  }

  hold(deliveryId: string, attempt: number, until: Date): HeldLease {
    const lease = { deliveryId, attempt, until: until.getTime() };
    this.leases.set(deliveryId, lease);
    return lease;
  }

  release(lease: HeldLease): void {
    if (this.leases.get(lease.deliveryId) === lease) this.leases.delete(lease.deliveryId);
  }

  /**
   * The leases worth renewing at `now`. One already lapsed is dropped: another poller may hold
   * the row now, and the store would refuse to extend it anyway.
   */
  toRenew(now: Date): { renew: HeldLease[]; lapsed: number } {
    const renew: HeldLease[] = [];
    let lapsed = 0;
    for (const lease of this.leases.values()) {
      if (lease.until > now.getTime()) renew.push(lease);
      else {
        this.leases.delete(lease.deliveryId);
        lapsed++;
      }
    }
    return { renew, lapsed };
  }

  /**
   * Records a renewal of `sent` to `until`: the leases the store extended (`renewedIds`) now end
   * at `until`. The others keep their end and are tried again at the next renewal until they
   * lapse (the row may only have been busy); returns how many there were.
   */
  renewed(sent: readonly HeldLease[], renewedIds: readonly string[], until: Date): number {
    const extended = new Set(renewedIds);
    let missed = 0;
    for (const lease of sent) {
      if (extended.has(lease.deliveryId)) lease.until = until.getTime();
      else missed++;
    }
    return missed;
  }
}

export class RetryPoller {
  private readonly held = new HeldLeases();
  private pollTimer: NodeJS.Timeout | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private renewing: Promise<void> | null = null;
  private stopped = false;
  private leasing = false;

  constructor(private readonly deps: RetryPollerDeps) {}

  /** Rows leased whose jobs' outcomes are not durable yet (the leases being renewed). */
  get heldLeases(): number {
    return this.held.size;
  }

  start(): void {
    this.stopped = false;
    this.leasing = true;
    this.tick();
    this.scheduleRenewal();
  }

  /**
   * Stops leasing, and keeps renewing what is held: at shutdown, jobs in flight keep their rows
   * until their outcomes are written (then `stop`), however long that wait is against the lease.
   */
  async stopLeasing(): Promise<void> {
    this.leasing = false;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    await this.polling;
  }

  /** Stops leasing and renewing; leases still held lapse on their own. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopLeasing();
    if (this.renewTimer) clearTimeout(this.renewTimer);
    await this.renewing;
  }

  private tick(): void {
    if (this.stopped || !this.leasing) return;
    this.polling = this.pollOnce()
      .then(() => undefined)
      .catch((error: Error) =>
        this.deps.log.warnWith('retry poll failed; will try again', { error: error.message }),
      )
      .finally(() => {
        if (!this.stopped && this.leasing)
          this.pollTimer = setTimeout(() => this.tick(), this.deps.settings.pollMs);
      });
  }

  // A third of the lease: one failed renewal (Postgres away for a moment) still leaves time for the next.
  private scheduleRenewal(): void {
    if (this.stopped) return;
    this.renewTimer = setTimeout(() => {
      this.renewing = this.renewOnce()
        .then(() => undefined)
        .catch((error: Error) =>
          this.deps.log.warnWith('retry lease renewal failed; will try again', {
            error: error.message,
            held: this.held.size,
          }),
        )
        .finally(() => this.scheduleRenewal());
    }, this.deps.settings.leaseMs / 3);
  }

  /** Leases and submits due retries; returns how many. */
  async pollOnce(): Promise<number> {
    const { settings } = this.deps;
    // Held leases count too: a job that has left its lane holds its row until its outcome is written.
    const room = Math.min(
      settings.batch,
      settings.maxQueued - this.deps.queued(),
      settings.maxQueued - this.held.size,
    );
    const roomBytes = settings.maxQueuedBytes - this.deps.queuedBytes();
    if (room <= 0 || roomBytes <= 0) return 0;
    const now = this.deps.clock.now();
    const jobs = await this.deps.store.leaseDue(now, room, settings.leaseMs, roomBytes);
    const until = new Date(now.getTime() + settings.leaseMs);
    for (const job of jobs) {
      const lease = this.held.hold(job.deliveryId, job.attempt, until);
      this.deps.submit(job, () => this.held.release(lease));
    }
    if (jobs.length > 0) this.deps.log.debug('retries due', { count: jobs.length });
    return jobs.length;
  }

  /** Extends the leases still held, in one statement; returns how many were extended. */
  async renewOnce(): Promise<number> {
    const now = this.deps.clock.now();
    const { renew, lapsed } = this.held.toRenew(now);
    if (lapsed > 0) this.deps.log.warnWith('retry leases lapsed before renewal', { count: lapsed });
    if (renew.length === 0) return 0;
    const until = new Date(now.getTime() + this.deps.settings.leaseMs);
    const renewed = await this.deps.store.renewLeases(renew, now, until);
    const missed = this.held.renewed(renew, renewed, until);
    // Usually an outcome written just before its `durable` fired; a lost lease otherwise.
    if (missed > 0) this.deps.log.debug('retry leases not renewed', { count: missed });
    return renewed.length;
  }
}
