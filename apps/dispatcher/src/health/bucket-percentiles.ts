// Percentiles read off fixed-bucket counts (the rollups' histograms, summed over any rows). Inside
// the bucket holding the rank the value is interpolated linearly between the bucket's bounds, as
// Prometheus's histogram_quantile does; the observed maximum caps the answer, so a p99 never reads
// above a value that was actually seen, and it bounds the last ("above every bound") bucket.

/**
 * The `p`-th percentile (0 < p ≤ 100) of values counted in `counts` (one per bound, plus one above
 * the last); null when nothing was counted. `maxMs`, when known, caps the answer and closes the
 * last bucket; without it a rank in the last bucket reads as the last bound (a lower bound).
 */
export function bucketPercentile(
  bounds: readonly number[],
  counts: readonly number[],
  p: number,
  maxMs: number | null = null,
): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const total = counts.reduce((sum, c) => sum + c, 0);
  if (total <= 0) return null;
  const rank = (p / 100) * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i];
    if (count > 0 && below + count >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1];
      const upper = i < bounds.length ? bounds[i] : (maxMs ?? lower);
      const value = lower + (Math.max(upper, lower) - lower) * ((rank - below) / count);
      return maxMs === null ? value : Math.min(value, maxMs);
    }
    below += count;
  }
  // Only reached when counts are longer or shorter than the bounds promise: the last bound is the best guess.
  return maxMs ?? bounds[bounds.length - 1];
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** p50, p95 and p99 of one histogram, rounded to the millisecond. */
export function percentiles(
  bounds: readonly number[],
  counts: readonly number[],
  maxMs: number | null = null,
): Percentiles {
  const at = (p: number) => roundMs(bucketPercentile(bounds, counts, p, maxMs));
  return { p50: at(50), p95: at(95), p99: at(99) };
}

/** Adds histograms bucket by bucket (missing buckets count 0). */
export function addBuckets(into: number[], counts: readonly number[] | null | undefined): number[] {
  if (!counts) return into;
  for (let i = 0; i < counts.length; i++) into[i] = (into[i] ?? 0) + Number(counts[i] ?? 0);
  return into;
}

function roundMs(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}
