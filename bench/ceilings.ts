// The two ceilings each scenario is compared with, measured in the same run on the same machine:
// how fast plain kafkajs reads the pre-loaded records, and how fast plain undici POSTs the same
// bodies to the same receiver.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Kafka } from 'kafkajs';
import { uniqueName } from '../test/support/names';
import { measureCpu, type CpuShare } from './cpu-usage';
import { DeliveryTally, type TallyingReceiver } from './delivery-tally';
import { waitForCount } from './progress';
import { ratePerSecond } from './stats';
import type { UndiciLoadInput, UndiciLoadMessage, UndiciLoadOutput } from './undici-load.worker';

export interface CeilingResult {
  /** Per second; null when nothing was measured. */
  perSecond: number | null;
  count: number;
  expected: number;
  complete: boolean;
  note?: string;
}

export interface KafkaCeilingResult extends CeilingResult {
  /** CPU from joining the group to the last expected record: the consumer (this process) and the broker. */
  cpu: CpuShare | null;
}

export interface UndiciCeilingResult extends CeilingResult {
  /** CPU from the end of the warm-up to the last answer: the client, the receiver and the rest of the machine. */
  cpu: CpuShare;
  /** Requests sent over that time. */
  requestsSent: number;
}

/**
 * A plain kafkajs consumer (eachBatch, default settings and auto-commit) reading `topics` from the
 * beginning: records per second from joining the group to the last expected record.
 */
export async function rawKafkaConsumption(
  kafka: Kafka,
  topics: string[],
  expected: number,
  deadlineAt: number,
): Promise<KafkaCeilingResult> {
  const consumer = kafka.consumer({ groupId: uniqueName('bench-raw') });
  let count = 0;
  let joinedAt: number | null = null;
  let doneAt: number | null = null;
  let measuring: (() => CpuShare) | null = null;
  let cpu: CpuShare | null = null;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt ??= Date.now();
    measuring ??= measureCpu();
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        count += batch.messages.length;
        if (count >= expected && doneAt === null) {
          doneAt = Date.now();
          cpu = measuring?.() ?? null;
        }
      },
    });
    const complete = await waitForCount('raw kafkajs', () => count, expected, deadlineAt);
    return {
      perSecond: joinedAt !== null && doneAt !== null ? (expected * 1000) / (doneAt - joinedAt) : null,
      count,
      expected,
      complete,
      cpu,
    };
  } finally {
    await consumer.disconnect();
  }
}

/** Requests sent first, uncounted, so the measured ones run on compiled code and open sockets. */
const UNDICI_WARM_UP_POSTS = 5_000;
/** Measured requests at least (the bodies are posted as many times over as that takes): a pass of a
 * second or two is at the mercy of one hiccup of the machine. */
const UNDICI_MIN_POSTS = 60_000;

/**
 * POSTs every body once with undici (one keep-alive Agent, `concurrency` in flight, in a worker
 * thread) to the receiver, as many times over as UNDICI_MIN_POSTS takes: requests per second as the
 * receiver saw them, first to last. A warm-up
 * of the same bodies under another run id goes first: a ceiling measured cold would be too low
 * and flatter the ratio to it.
 */
export async function rawUndiciPosts(
  target: TallyingReceiver,
  posts: { path: string; body: string }[],
  concurrency: number,
  runId: string,
  deadlineAt: number,
): Promise<UndiciCeilingResult> {
  const tally = new DeliveryTally({ runId });
  target.countWith(tally);
  try {
    const warmUp = posts.slice(0, UNDICI_WARM_UP_POSTS).map((post) => ({
      path: post.path,
      body: post.body.replace(`"bench_run":"${runId}"`, `"bench_run":"${runId}-warm-up"`),
    }));
    const passes = Math.max(1, Math.ceil(UNDICI_MIN_POSTS / posts.length));
    const input: UndiciLoadInput = {
      origin: target.receiver.origin,
      posts: [...warmUp, ...Array.from({ length: passes }, () => posts).flat()],
      warmUpPosts: warmUp.length,
      concurrency,
      deadlineAt,
    };
    const { output, cpu } = await runWorker(input);
    // Every answered request was counted before its answer left the receiver.
    const expected = passes * posts.length;
    const complete = tally.unique >= expected;
    return {
      perSecond: ratePerSecond(tally.unique, tally.firstAt ?? 0, tally.lastAt ?? 0),
      count: tally.unique,
      expected,
      complete,
      cpu,
      requestsSent: output.answered + output.failed - warmUp.length,
      note:
        output.failed > 0
          ? `${output.failed} request(s) failed; first error: ${output.firstError ?? 'non-2xx answer'}`
          : undefined,
    };
  } finally {
    target.countWith(null);
  }
}

/** Runs the load in a worker; CPU is measured from its warm-up's end (module loading and compiling left out). */
function runWorker(input: UndiciLoadInput): Promise<{ output: UndiciLoadOutput; cpu: CpuShare }> {
  const file = join(__dirname, `undici-load.worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
  // Under ts-node the worker needs the TypeScript hook too; compiled, it needs nothing.
  const execArgv = __filename.endsWith('.ts') ? ['--require', 'ts-node/register/transpile-only'] : [];
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: input, execArgv });
    let cpu: (() => CpuShare) | null = null;
    worker.on('message', (message: UndiciLoadMessage) => {
      if (message.kind === 'warmed-up') cpu = measureCpu();
      else resolve({ output: message, cpu: (cpu ?? measureCpu())() });
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`undici load worker exited with code ${code}`));
    });
  });
}
