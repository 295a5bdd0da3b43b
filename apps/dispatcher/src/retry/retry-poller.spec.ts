import type { JsonLogger } from '@vowchat/platform';
import type { DeliveryJob } from '../delivery/delivery-job';
import { HeldLeases, RetryPoller, type RetryPollerDeps } from './retry-poller';
import type { RetryStore } from './retry-store';

const LEASE_MS = 15_000;
const T0 = Date.parse('2025-01-01T00:00:00Z');

const at = (ms: number) => new Date(T0 + ms);

describe('HeldLeases', () => {
  it('renews what it holds and forgets a lease once released', () => {
    const held = new HeldLeases();
    const a = held.hold('a', 2, at(LEASE_MS));
    held.hold('b', 3, at(LEASE_MS));
    held.release(a);
    expect(held.toRenew(at(5_000)).renew.map((l) => [l.deliveryId, l.attempt])).toEqual([['b', 3]]);
    expect(held.size).toBe(1);
  });

  it('keeps a row leased again when the earlier lease of it is released', () => {
    const held = new HeldLeases();
    const first = held.hold('a', 2, at(LEASE_MS));
    const second = held.hold('a', 2, at(2 * LEASE_MS));
    held.release(first);
    expect(held.toRenew(at(LEASE_MS + 1)).renew).toEqual([second]);
    held.release(second);
    expect(held.size).toBe(0);
  });

  it('extends the leases the store renewed and lets the others lapse, then drops them', () => {
    const held = new HeldLeases();
    const a = held.hold('a', 2, at(LEASE_MS));
    const b = held.hold('b', 2, at(LEASE_MS));
    expect(held.renewed([a, b], ['a'], at(5_000 + LEASE_MS))).toBe(1);

    // Past the first lease: 'a' was extended, 'b' (not renewed) has lapsed and is dropped.
    expect(held.toRenew(at(LEASE_MS))).toEqual({ renew: [a], lapsed: 1 });
    expect(held.size).toBe(1);
    held.release(b); // its job's outcome, late: nothing left to release
    expect(held.size).toBe(1);
  });
});

describe('RetryPoller leases', () => {
  let now: number;
  let leaseDue: jest.Mock<Promise<DeliveryJob[]>, Parameters<RetryStore['leaseDue']>>;
  let renewLeases: jest.Mock<Promise<string[]>, Parameters<RetryStore['renewLeases']>>;
  let submitted: { job: DeliveryJob; durable: () => void }[];
  let log: { warnWith: jest.Mock; debug: jest.Mock };
  let queued: number;

  const job = (deliveryId: string, attempt = 2): DeliveryJob => ({
    deliveryId,
    eventId: `event-${deliveryId}`,
    eventType: 'message_created',
    accountId: 1,
    webhookId: 'webhook',
    body: '{}',
    attempt,
    source: 'retry',
    publishedAt: null,
    routedAt: null,
  });

  const poller = (settings: Partial<RetryPollerDeps['settings']> = {}) =>
    new RetryPoller({
      store: { leaseDue, renewLeases },
      submit: (j, durable) => submitted.push({ job: j, durable }),
      queued: () => queued,
      queuedBytes: () => 0,
      clock: { now: () => new Date(now) },
      log: log as unknown as JsonLogger,
      settings: {
        pollMs: 60_000,
        batch: 500,
        leaseMs: LEASE_MS,
        maxQueued: 100,
        maxQueuedBytes: 1_000_000,
        ...settings,
      },
    });

  /** The store extends every lease it is asked to. */
  const renewAll = async (leases: readonly { deliveryId: string }[]) => leases.map((l) => l.deliveryId);

  beforeEach(() => {
    now = T0;
    leaseDue = jest.fn<Promise<DeliveryJob[]>, Parameters<RetryStore['leaseDue']>>(async () => []);
    renewLeases = jest.fn<Promise<string[]>, Parameters<RetryStore['renewLeases']>>(renewAll);
    submitted = [];
    log = { warnWith: jest.fn(), debug: jest.fn() };
    queued = 0;
  });

  it('renews the rows it leased, in one call, until their outcomes are durable', async () => {
    const p = poller();
    leaseDue.mockResolvedValueOnce([job('a', 2), job('b', 5), job('c', 3)]);
    expect(await p.pollOnce()).toBe(3);
    submitted[0].durable();

    now = T0 + LEASE_MS / 3;
    expect(await p.renewOnce()).toBe(2);
    expect(renewLeases).toHaveBeenCalledTimes(1);
    expect(renewLeases).toHaveBeenCalledWith(
      [
        expect.objectContaining({ deliveryId: 'b', attempt: 5 }),
        expect.objectContaining({ deliveryId: 'c', attempt: 3 }),
      ],
      new Date(now),
      new Date(now + LEASE_MS),
    );
  });

  it('keeps renewing a job that waits past its first lease, and stops once its outcome is durable', async () => {
    const p = poller();
    leaseDue.mockResolvedValueOnce([job('a')]);
    await p.pollOnce();
    for (let step = 1; step <= 6; step++) {
      now = T0 + (step * LEASE_MS) / 3;
      expect(await p.renewOnce()).toBe(1);
    }
    expect(now).toBeGreaterThan(T0 + LEASE_MS);
    expect(log.warnWith).not.toHaveBeenCalled();

    submitted[0].durable();
    renewLeases.mockClear();
    expect(await p.renewOnce()).toBe(0);
    expect(renewLeases).not.toHaveBeenCalled();
    expect(p.heldLeases).toBe(0);
  });

  it('drops, with a warning, a lease the store would not extend once it has lapsed', async () => {
    const p = poller();
    leaseDue.mockResolvedValueOnce([job('a'), job('b')]);
    await p.pollOnce();
    renewLeases.mockImplementation(async () => ['a']);
    now = T0 + LEASE_MS / 3;
    expect(await p.renewOnce()).toBe(1);

    now = T0 + LEASE_MS;
    renewLeases.mockImplementation(renewAll);
    expect(await p.renewOnce()).toBe(1);
    expect(renewLeases).toHaveBeenLastCalledWith(
      [expect.objectContaining({ deliveryId: 'a' })],
      expect.any(Date),
      expect.any(Date),
    );
    expect(log.warnWith).toHaveBeenCalledWith('retry leases lapsed before renewal', { count: 1 });
    expect(p.heldLeases).toBe(1);
  });

  it('never holds more leases than the lanes have room for', async () => {
    const p = poller({ maxQueued: 3 });
    leaseDue.mockImplementation(async (_now, limit) =>
      ['a', 'b', 'c', 'd'].slice(0, limit).map((id) => job(id)),
    );
    expect(await p.pollOnce()).toBe(3);
    // The jobs have left the lanes (being sent, outcomes being written) but still hold their rows.
    queued = 0;
    expect(await p.pollOnce()).toBe(0);
    expect(leaseDue).toHaveBeenCalledTimes(1);

    submitted[0].durable();
    await p.pollOnce();
    expect(leaseDue).toHaveBeenLastCalledWith(expect.any(Date), 1, LEASE_MS, 1_000_000);
  });

  describe('on its timer', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('renews every third of the lease, logs a failed renewal and tries again, and stops with stop()', async () => {
      const p = poller();
      leaseDue.mockResolvedValueOnce([job('a')]);
      renewLeases.mockRejectedValueOnce(new Error('connection refused'));
      p.start();
      await jest.advanceTimersByTimeAsync(LEASE_MS / 3);
      expect(renewLeases).toHaveBeenCalledTimes(1);
      expect(log.warnWith).toHaveBeenCalledWith('retry lease renewal failed; will try again', {
        error: 'connection refused',
        held: 1,
      });

      await jest.advanceTimersByTimeAsync(LEASE_MS / 3);
      expect(renewLeases).toHaveBeenCalledTimes(2);
      await expect(renewLeases.mock.results[1].value).resolves.toEqual(['a']);

      await p.stop();
      await jest.advanceTimersByTimeAsync(3 * LEASE_MS);
      expect(renewLeases).toHaveBeenCalledTimes(2);
    });

    it('after stopLeasing leases nothing more but keeps renewing what it holds until stop()', async () => {
      const p = poller({ pollMs: 100 });
      leaseDue.mockResolvedValueOnce([job('a')]);
      p.start();
      await jest.advanceTimersByTimeAsync(0);
      expect(leaseDue).toHaveBeenCalledTimes(1);
      await p.stopLeasing();
      await jest.advanceTimersByTimeAsync(LEASE_MS);
      expect(leaseDue).toHaveBeenCalledTimes(1);
      expect(renewLeases).toHaveBeenCalledTimes(3);
      expect(renewLeases).toHaveBeenLastCalledWith(
        [expect.objectContaining({ deliveryId: 'a', attempt: 2 })],
        expect.any(Date),
        expect.any(Date),
      );

      await p.stop();
      await jest.advanceTimersByTimeAsync(LEASE_MS);
      expect(renewLeases).toHaveBeenCalledTimes(3);
    });
  });
});
