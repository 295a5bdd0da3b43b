// What one attempt of an operational webhook means for it: the same verdicts (response-classifier)
// and the same retry schedule (retry-schedule) as every delivery. Pure.
import type { Verdict } from '../delivery/response-classifier';
import { nextAttemptDelayMs } from '../retry/retry-schedule';

export type OperationalOutcome =
  | { status: 'delivered' }
  | { status: 'failed'; reason: string }
  | { status: 'dead'; reason: string }
  | { status: 'pending'; reason: string; dueAt: Date };

export function operationalOutcome(
  verdict: Verdict,
  attemptsMade: number,
  scheduleMs: readonly number[],
  random: () => number,
  now: Date,
): OperationalOutcome {
  switch (verdict.kind) {
    case 'delivered':
      return { status: 'delivered' };
    case 'fail':
    case 'gone':
      // A refused operational webhook is not retried; nothing is disabled (it is the account's own URL).
      return { status: 'failed', reason: verdict.reason };
    case 'retry': {
      const delay = nextAttemptDelayMs(attemptsMade, scheduleMs, random, verdict.retryAfterMs);
      return delay === null
        ? { status: 'dead', reason: verdict.reason }
        : { status: 'pending', reason: verdict.reason, dueAt: new Date(now.getTime() + delay) };
    }
    default: {
      const unknown: never = verdict;
      throw new Error(`unhandled verdict ${JSON.stringify(unknown)}`);
    }
  }
}
