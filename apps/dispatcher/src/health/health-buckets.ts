// Fixed histogram bounds shared by the Postgres health rollups and the health API. A rollup row
// stores one count per bound plus one for "above the last bound", so rows of any minute or hour add
// up bucket by bucket, and percentiles are read off the summed buckets. Changing a bound changes
// what old rows mean: add a new column set (and a migration) instead.

/** HTTP attempt duration, up to the spec's 5 s limit. */
export const ATTEMPT_DURATION_BOUNDS_MS = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000] as const;

/** From the event's Kafka timestamp to its successful attempt: retries run for more than a day. */
export const END_TO_END_BOUNDS_MS = [
  100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000,
  7_200_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000,
] as const;

/** From the event's Kafka timestamp to the start of its first attempt: the platform SLO's signal. */
export const FIRST_ATTEMPT_WAIT_BOUNDS_MS = [
  100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000,
] as const;

/** The index of the bucket `valueMs` falls in (the last index is "above every bound"). */
export function bucketIndex(bounds: readonly number[], valueMs: number): number {
  for (let i = 0; i < bounds.length; i++) if (valueMs <= bounds[i]) return i;
  return bounds.length;
}
