import { AccountRateLimits } from './account-rate-limits';
import { rateLimitedResponse } from './rate-limited';

describe('AccountRateLimits', () => {
  const limit = { perSecond: 10, burst: 20 };

  it('lets an account publish its burst, then holds it to its rate', () => {
    const limits = new AccountRateLimits(limit);
    expect(limits.take(1, 20, 0)).toBe(0);
    expect(limits.take(1, 1, 0)).toBe(100);
    expect(limits.take(1, 5, 500)).toBe(0);
  });

  it('counts each event of a batch, and keeps accounts apart', () => {
    const limits = new AccountRateLimits(limit);
    expect(limits.take(1, 15, 0)).toBe(0);
    expect(limits.take(1, 10, 0)).toBe(500);
    expect(limits.take(2, 10, 0)).toBe(0);
  });

  it('admits a batch larger than the burst once the bucket is full, and the debt holds the next back', () => {
    const limits = new AccountRateLimits(limit);
    expect(limits.take(1, 50, 0)).toBe(0);
    expect(limits.take(1, 1, 0)).toBe(3_100);
  });

  it('keeps at most maxAccounts buckets, forgetting the least recently used', () => {
    const limits = new AccountRateLimits(limit, 3);
    limits.take(1, 20, 0);
    limits.take(2, 20, 0);
    limits.take(3, 20, 0);
    limits.take(1, 0, 0); // 1 is now the most recent; 2 is the least
    limits.take(4, 20, 0);
    expect(limits.size).toBe(3);
    expect(limits.take(1, 1, 0)).toBeGreaterThan(0); // kept: still empty
    expect(limits.take(2, 20, 0)).toBe(0); // forgotten: a fresh, full bucket
  });
});

describe('rateLimitedResponse', () => {
  it('answers 429 with Retry-After in whole seconds (at least 1) and the error shape', () => {
    expect(rateLimitedResponse(7, 100, { perSecond: 10, burst: 20 })).toEqual({
      status: 429,
      retryAfterSeconds: 1,
      body: {
        error: 'rate_limited',
        message:
          'Account 7 is publishing faster than its limit of 10 events per second (bursts of 20); nothing was published. Retry after 1 s.',
        problems: [],
      },
    });
    expect(rateLimitedResponse(7, 2_001, { perSecond: 10, burst: 20 }).retryAfterSeconds).toBe(3);
  });
});
