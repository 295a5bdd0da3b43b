import { EndpointRateLimits, type EndpointRateLimitsOptions } from './endpoint-rate-limits';

function limits(overrides: Partial<EndpointRateLimitsOptions> = {}) {
  const state = { now: 0, instances: 1, rates: new Map<string, number | null>() };
  const limiter = new EndpointRateLimits({
    rateOf: (id) => state.rates.get(id),
    defaultPerSecond: 50,
    instances: () => state.instances,
    nowMs: () => state.now,
    ...overrides,
  });
  /** Requests admitted for `id` over `ms`, asking every millisecond. */
  const admittedOver = (id: string, ms: number) => {
    let admitted = 0;
    for (const end = state.now + ms; state.now < end; state.now++) while (limiter.take(id) === 0) admitted++;
    return admitted;
  };
  return { state, limiter, admittedOver };
}

describe('EndpointRateLimits', () => {
  it('holds a webhook to its own rate, and one without a rate to the default', () => {
    const { state, admittedOver } = limits();
    state.rates.set('a', 20);
    state.rates.set('b', null);
    // 2 s: the burst (0.1 s of the rate, at least 1) then the rate.
    expect(admittedOver('a', 2_000)).toBeLessThanOrEqual(2 + 40);
    expect(admittedOver('a', 2_000)).toBeGreaterThanOrEqual(39);
    expect(admittedOver('b', 1_000)).toBeLessThanOrEqual(5 + 50);
    expect(admittedOver('b', 1_000)).toBeGreaterThanOrEqual(49);
  });

  it('gives each of n instances 1/n of the rate', () => {
    const { state, limiter, admittedOver } = limits();
    state.rates.set('a', 30);
    state.instances = 3;
    expect(limiter.shareOf('a')).toBe(10);
    expect(admittedOver('a', 1_000)).toBeLessThanOrEqual(1 + 10);
    state.instances = 1;
    admittedOver('a', 1_000);
    expect(admittedOver('a', 1_000)).toBeGreaterThanOrEqual(29);
  });

  it('answers how long until the next request may go', () => {
    const { state, limiter } = limits();
    state.rates.set('a', 10);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(100);
  });

  it('follows a change of rate at the next request', () => {
    const { state, admittedOver } = limits();
    state.rates.set('a', 100);
    admittedOver('a', 1_000);
    state.rates.set('a', 5);
    expect(admittedOver('a', 2_000)).toBeLessThanOrEqual(1 + 10);
    state.rates.set('a', 200);
    admittedOver('a', 100);
    expect(admittedOver('a', 1_000)).toBeGreaterThanOrEqual(199);
  });

  it('spreads a backlog over the time the share needs to send it, within bounds', () => {
    const { state, limiter } = limits();
    state.rates.set('a', 20);
    expect(limiter.backlogMs('a', 100, 1_000, 300_000)).toBe(5_000);
    expect(limiter.backlogMs('a', 1, 1_000, 300_000)).toBe(1_000);
    expect(limiter.backlogMs('a', 1_000_000, 1_000, 300_000)).toBe(300_000);
  });

  it('forgets idle buckets, so memory stays bounded by the endpoints busy now', () => {
    const { state, limiter } = limits({ sweepEvery: 10 });
    for (let i = 0; i < 100; i++) limiter.take(`hook-${i}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
    state.now += 1_000;
    for (let i = 0; i < 10; i++) limiter.take('busy');
    expect(limiter.size).toBeLessThanOrEqual(2);
  });
});
