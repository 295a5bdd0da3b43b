import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('starts full: a burst of `capacity` passes at once, the next waits for one token', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 3 }, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(50)).toBe(50);
    expect(bucket.take(100)).toBe(0);
  });

  it('never lets more than capacity + rate × t through in any window of t', () => {
    const bucket = new TokenBucket({ ratePerSecond: 20, capacity: 2 }, 0);
    const admitted: number[] = [];
    for (let now = 0; now <= 10_000; now += 1) while (bucket.take(now) === 0) admitted.push(now);
    for (const start of admitted) {
      const inWindow = admitted.filter((t) => t >= start && t < start + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(22);
    }
    // And it keeps the rate: 10 s at 20/s, plus the burst it started with.
    expect(admitted.length).toBeGreaterThanOrEqual(201);
    expect(admitted.length).toBeLessThanOrEqual(202);
  });

  it('answers how long until the request could pass, and takes nothing when it refuses', () => {
    const bucket = new TokenBucket({ ratePerSecond: 4, capacity: 4 }, 0);
    expect(bucket.take(0, 4)).toBe(0);
    expect(bucket.take(0, 2)).toBe(500);
    expect(bucket.available(0)).toBe(0);
    expect(bucket.take(500, 2)).toBe(0);
  });

  it('admits a request larger than the burst once full, and the debt holds the next one back', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 5 }, 0);
    expect(bucket.take(0, 20)).toBe(0);
    expect(bucket.available(0)).toBe(-15);
    // 15 tokens of debt, then one token: 1.6 s at 10/s.
    expect(bucket.take(0)).toBe(1_600);
    expect(bucket.take(1_600)).toBe(0);
  });

  it('keeps what it holds, up to the new capacity, when reconfigured', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, capacity: 10 }, 0);
    bucket.take(0, 4);
    bucket.reconfigure({ ratePerSecond: 2, capacity: 3 }, 0);
    expect(bucket.available(0)).toBe(3);
    bucket.take(0, 3);
    expect(bucket.take(0)).toBe(500);
    expect(bucket.ratePerSecond).toBe(2);
  });

  it('is full again once idle long enough (so it can be forgotten)', () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, capacity: 2 }, 0);
    bucket.take(0, 2);
    expect(bucket.isFull(1_000)).toBe(false);
    expect(bucket.isFull(2_000)).toBe(true);
  });

  it('adds nothing when the clock steps back', () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, capacity: 1 }, 10_000);
    bucket.take(10_000);
    expect(bucket.take(5_000)).toBe(1_000);
    expect(bucket.take(10_500)).toBe(500);
    expect(bucket.take(11_000)).toBe(0);
  });

  it('refuses limits that cannot work', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0, capacity: 1 }, 0)).toThrow(/ratePerSecond/);
    expect(() => new TokenBucket({ ratePerSecond: 1, capacity: 0.5 }, 0)).toThrow(/capacity/);
  });
});
