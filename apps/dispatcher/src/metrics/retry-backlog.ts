// The retry store's backlog for gauges: rows waiting, rows due now, and how long the oldest due row
// has waited past its due time (a retry poller that falls behind shows here first). One query on
// scheduled_retries's due_at index, run through a CachedProbe (at most every few seconds), never
// per event.
import type { DataSource } from 'typeorm';

export interface RetryBacklog {
  waiting: number;
  due: number;
  /** Seconds since the oldest due row became due; 0 when none is due. */
  oldestDueAgeSeconds: number;
}

export async function readRetryBacklog(db: Pick<DataSource, 'query'>, now: Date): Promise<RetryBacklog> {
  const [row] = await db.query<{ waiting: number; due: number; oldest: Date | null }[]>(
    `SELECT (SELECT count(*)::int FROM scheduled_retries) AS waiting,
            (SELECT count(*)::int FROM scheduled_retries WHERE due_at <= $1) AS due,
            (SELECT min(due_at) FROM scheduled_retries) AS oldest`,
    [now],
  );
  return retryBacklogOf(row, now);
}

/** Pure: the gauge values from the query's row. */
export function retryBacklogOf(
  row: { waiting: number; due: number; oldest: Date | null },
  now: Date,
): RetryBacklog {
  const age = row.oldest === null ? 0 : (now.getTime() - new Date(row.oldest).getTime()) / 1000;
  return { waiting: row.waiting, due: row.due, oldestDueAgeSeconds: Math.max(0, age) };
}
