// Waiting with a deadline and a progress line every few seconds, so a long phase shows it is alive.

const PROGRESS_EVERY_MS = 3_000;
const POLL_MS = 50;
/** No progress for this long ends the wait: what is left waits on retries scheduled minutes out. */
const STALL_MS = 30_000;

/**
 * Polls `count()` until it reaches `target`; gives up when `deadlineAt` passes or the count has not
 * moved for 30 s. True when it got there.
 */
export async function waitForCount(
  label: string,
  count: () => number,
  target: number,
  deadlineAt: number,
): Promise<boolean> {
  const of = (n: number) => `${n.toLocaleString('en-US')}/${target.toLocaleString('en-US')}`;
  let lastPrintAt = Date.now();
  let lastPrinted = count();
  let lastMoveAt = Date.now();
  let lastSeen = lastPrinted;
  for (;;) {
    const now = Date.now();
    const n = count();
    if (n >= target) return true;
    if (n !== lastSeen) {
      lastSeen = n;
      lastMoveAt = now;
    }
    if (now > deadlineAt || now - lastMoveAt > STALL_MS) {
      const why = now > deadlineAt ? 'the deadline passed' : `no progress for ${STALL_MS / 1000} s`;
      log(`${label}: gave up at ${of(n)}: ${why}`);
      return false;
    }
    if (now - lastPrintAt >= PROGRESS_EVERY_MS) {
      const rate = ((n - lastPrinted) * 1000) / (now - lastPrintAt);
      log(`${label}: ${of(n)} (${Math.round(rate).toLocaleString('en-US')}/s)`);
      lastPrintAt = now;
      lastPrinted = n;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** One progress line on stderr with the time of day, so stdout keeps only the results. */
export function log(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}
