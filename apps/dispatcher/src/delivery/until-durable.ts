// The one retry loop for the writes that make work durable (attempt records, retry rows, dead
// letters). A write that failed for a passing reason (the broker or Postgres away) is retried with
// backoff until it succeeds: an outcome is delayed, never dropped. A write that can never succeed
// (the broker refused the record, a bug of ours) is not retried: it is thrown at once, so the caller
// records it with its reason and the stream goes on. Errors carry that policy as `retriable`, the
// way KafkaJS marks its own.
import type { SampledLog } from '@vowchat/platform';

export interface UntilDurableOptions {
  /** Where failed attempts are logged, sampled per `what`. */
  log: SampledLog;
  /** What is being written (a log kind: a small fixed set). */
  what: string;
  /** Fields for the log line (ids, never payloads or secrets). */
  fields?: Record<string, unknown>;
  sleep?: (ms: number) => Promise<void>;
}

const FIRST_WAIT_MS = 200;
const LONGEST_WAIT_MS = 10_000;

/** Runs `write` until it succeeds; rethrows at once an error that is not retriable. */
export async function untilDurable(write: () => Promise<void>, options: UntilDurableOptions): Promise<void> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let wait = FIRST_WAIT_MS; ; wait = Math.min(wait * 2, LONGEST_WAIT_MS)) {
    try {
      return await write();
    } catch (error) {
      if (!isRetriable(error)) throw error;
      options.log.warn(options.what, 'durable write failed; retrying', {
        ...options.fields,
        what: options.what,
        error: (error as Error).message,
        retry_in_ms: wait,
      });
      await sleep(wait);
    }
  }
}

/**
 * Whether trying again may succeed: not when the error says it is not retriable, nor for a
 * programming error (a TypeError fails the same way every time).
 */
export function isRetriable(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) return false;
  return !(error instanceof Error && (error as Error & { retriable?: unknown }).retriable === false);
}

/**
 * `untilDurable` for callers that must go on either way (the stream never stops for one item): a
 * write that can never succeed is logged as an error with its reason and reported as false.
 */
export async function writeDurably(
  write: () => Promise<void>,
  options: UntilDurableOptions,
): Promise<boolean> {
  try {
    await untilDurable(write, options);
    return true;
  } catch (error) {
    options.log.error(options.what, 'durable write refused; not retried', {
      ...options.fields,
      what: options.what,
      error: (error as Error).message,
    });
    return false;
  }
}

/**
 * `writeDurably` for independent writes of one outcome (a record and a retry row): each is retried on
 * its own, so the one already written is not written again while the other waits (a Postgres outage
 * would otherwise resend the record to Kafka on every retry). True when every write is durable.
 */
export async function writeEachDurably(
  writes: readonly (() => Promise<void>)[],
  options: UntilDurableOptions,
): Promise<boolean> {
  const written = await Promise.all(writes.map((write) => writeDurably(write, options)));
  return written.every(Boolean);
}
