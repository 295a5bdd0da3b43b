// When the next attempt happens. Pure: the random source is injected so specs are deterministic.

/** Spread of each delay: ±20 %, so endpoints that failed together do not all retry together. */
export const JITTER_RATIO = 0.2;

/** Attempts a delivery gets: the immediate first one plus one per scheduled delay. */
export function totalAttempts(scheduleMs: readonly number[]): number {
  return scheduleMs.length + 1;
}

/**
 * The delay, in ms, before attempt `attemptsMade + 1`, or null when attempts are exhausted.
 * Attempt 1 is immediate; after attempt n the delay is `scheduleMs[n - 1]`, jittered by ±20 %
 * (uniform; bounded rather than AWS-style full jitter, so the documented schedule stays
 * recognisable and a 5 s retry never becomes an immediate one).
 *
 * A Retry-After (already clamped by the classifier) can postpone an attempt but never bring it
 * forward: the delay is max(retryAfterMs, jittered delay). Svix and Convoy take Retry-After as the
 * delay itself, but then a receiver answering 429 with `Retry-After: 0` would burn every attempt
 * within seconds and the delivery would die during an outage that the schedule would have outlived.
 */
export function nextAttemptDelayMs(
  attemptsMade: number,
  scheduleMs: readonly number[],
  random: () => number,
  retryAfterMs: number | null,
): number | null {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 1)
    throw new RangeError(`attemptsMade must be an integer >= 1, got ${attemptsMade}`);
  if (attemptsMade > scheduleMs.length) return null;
  const base = scheduleMs[attemptsMade - 1];
  const jittered = Math.max(0, Math.round(base * (1 - JITTER_RATIO + 2 * JITTER_RATIO * random())));
  return retryAfterMs === null ? jittered : Math.max(retryAfterMs, jittered);
}
