import { addBuckets, bucketPercentile, percentiles } from './bucket-percentiles';
import { ATTEMPT_DURATION_BOUNDS_MS, bucketIndex } from './health-buckets';

const BOUNDS = [10, 100, 1_000] as const;

describe('bucketPercentile', () => {
  it('is null when nothing was counted', () => {
    expect(bucketPercentile(BOUNDS, [0, 0, 0, 0], 50)).toBeNull();
    expect(bucketPercentile(BOUNDS, [], 99)).toBeNull();
  });

  it('interpolates linearly inside the bucket holding the rank', () => {
    // 10 values in (10, 100]: the median is halfway through that bucket.
    expect(bucketPercentile(BOUNDS, [0, 10, 0, 0], 50)).toBe(55);
    // 10 in [0, 10], 10 in (10, 100]: rank 10 is the top of the first bucket.
    expect(bucketPercentile(BOUNDS, [10, 10, 0, 0], 50)).toBe(10);
    expect(bucketPercentile(BOUNDS, [10, 10, 0, 0], 75)).toBe(55);
  });

  it('starts the first bucket at zero', () => {
    expect(bucketPercentile(BOUNDS, [4, 0, 0, 0], 50)).toBe(5);
  });

  it('never answers above the observed maximum', () => {
    expect(bucketPercentile(BOUNDS, [0, 0, 10, 0], 99, 150)).toBe(150);
    expect(bucketPercentile(BOUNDS, [0, 0, 10, 0], 50, 900)).toBe(550);
  });

  it('closes the last bucket with the maximum, or reads its lower bound without one', () => {
    expect(bucketPercentile(BOUNDS, [0, 0, 0, 2], 50, 3_000)).toBe(2_000);
    expect(bucketPercentile(BOUNDS, [0, 0, 0, 2], 99)).toBe(1_000);
  });

  it('skips empty buckets', () => {
    expect(bucketPercentile(BOUNDS, [1, 0, 0, 1], 100, 5_000)).toBe(5_000);
  });

  it('refuses a percentile outside (0, 100]', () => {
    expect(() => bucketPercentile(BOUNDS, [1], 0)).toThrow(RangeError);
    expect(() => bucketPercentile(BOUNDS, [1], 101)).toThrow(RangeError);
  });

  it('lands in the bucket of the true percentile for real bounds', () => {
    const values = Array.from({ length: 1_000 }, (_, i) => (i * 37) % 4_000);
    const counts = new Array<number>(ATTEMPT_DURATION_BOUNDS_MS.length + 1).fill(0);
    for (const v of values) counts[bucketIndex(ATTEMPT_DURATION_BOUNDS_MS, v)]++;
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [50, 95, 99]) {
      const exact = sorted[Math.ceil((p / 100) * sorted.length) - 1];
      const estimate = bucketPercentile(ATTEMPT_DURATION_BOUNDS_MS, counts, p, Math.max(...values))!;
      expect(bucketIndex(ATTEMPT_DURATION_BOUNDS_MS, estimate)).toBe(
        bucketIndex(ATTEMPT_DURATION_BOUNDS_MS, exact),
      );
    }
  });
});

describe('percentiles', () => {
  it('gives p50, p95 and p99 to a tenth of a millisecond', () => {
    expect(percentiles(BOUNDS, [0, 3, 0, 0])).toEqual({ p50: 55, p95: 95.5, p99: 99.1 });
    expect(percentiles(BOUNDS, [0, 0, 0, 0])).toEqual({ p50: null, p95: null, p99: null });
  });
});

describe('addBuckets', () => {
  it('adds bucket by bucket, missing ones as zero', () => {
    expect(addBuckets(addBuckets([], [1, 2]), [3, 4, 5])).toEqual([4, 6, 5]);
    expect(addBuckets([1], null)).toEqual([1]);
  });
});
