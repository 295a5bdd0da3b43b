// Pure arithmetic for the benchmark's figures: rates, percentiles and the printed table.

/** Events per second for `count` events spread from `firstMs` to `lastMs` (null when unmeasurable). */
export function ratePerSecond(count: number, firstMs: number, lastMs: number): number | null {
  const spanMs = lastMs - firstMs;
  if (count < 2 || spanMs <= 0) return null;
  // n events at the ends of a span make n - 1 intervals.
  return ((count - 1) * 1000) / spanMs;
}

/** The nearest-rank percentile `p` (0 < p ≤ 100) of values sorted ascending; null when empty. */
export function percentile(sortedAscending: readonly number[], p: number): number | null {
  if (sortedAscending.length === 0) return null;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  return sortedAscending[rank - 1];
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** p50, p99 and max of unsorted latencies (in ms). */
export function summarizeLatencies(latenciesMs: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? null : sorted[sorted.length - 1],
  };
}

export interface LatencyWindow extends LatencySummary {
  /** Seconds since the first arrival. */
  second: number;
}

/** Latency summaries per whole second of arrival, to see when a slow spell happened. */
export function latencyBySecond(
  arrivalsMs: readonly number[],
  latenciesMs: readonly number[],
): LatencyWindow[] {
  if (arrivalsMs.length === 0) return [];
  const start = arrivalsMs.reduce((a, b) => Math.min(a, b));
  const buckets: number[][] = [];
  arrivalsMs.forEach((at, i) => (buckets[Math.floor((at - start) / 1000)] ??= []).push(latenciesMs[i]));
  return [...buckets.entries()]
    .filter(([, values]) => values !== undefined)
    .map(([second, values]) => ({ second, ...summarizeLatencies(values) }));
}

/**
 * The median of the measured values (nulls, i.e. runs that measured nothing, are left out); the
 * mean of the middle two for an even count; null when nothing was measured.
 */
export function median(values: readonly (number | null)[]): number | null {
  const sorted = values.filter((v): v is number => v !== null).sort((x, y) => x - y);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `a / b`, or null when either is missing or b is 0. */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || b === 0) return null;
  return a / b;
}

/** A fixed-width text table: the first row is the header. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}

/** A number for the table: thousands grouped, `digits` decimals, "n/a" when missing. */
export function formatNumber(value: number | null, digits = 0): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
