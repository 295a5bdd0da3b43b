// Publishing through the producer API (issue 9): single-event POSTs with 1, 50 and 200 in flight and
// batches of 100 and 500 events, accepted events/s and request latency p50/p99, beside two ceilings
// measured in the same run: the same load against a bare Node HTTP server answering 202 (each a
// child process, the load from a worker thread), and raw kafkajs batch produce of the same records
// (an idempotent producer, acks -1, 500 records a request, one request at a time, as the publisher
// sends). Each app's peak RSS. It reports; it asserts nothing.
//
// Part of `npm run bench` (scenario `publishing`); alone: `BENCH_SCENARIOS=publishing npm run bench`.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { eventTopics, exampleEvent, newEventId, toEventMessage } from '@vowchat/events';
import { ensureTopics } from '@vowchat/platform';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { KAFKA_BROKERS } from '../test/support/infra';
import { freePort, uniqueName } from '../test/support/names';
import { uniqueEventTopics } from '../test/support/producer-app';
import { waitFor } from '../test/support/wait-for';
import type { HttpLoadInput, HttpLoadOutput } from './http-load.worker';
import { log } from './progress';
import { formatNumber, formatTable, summarizeLatencies, type LatencySummary } from './stats';

const ACCOUNTS = 100;
const FIRST_ACCOUNT = 2_001;
const PARTITIONS = 6;
const TOKEN = 'bench-producer-token';
/** Targets of issue 9, at 50 single events in flight and for batches. */
export const PUBLISHING_TARGETS = {
  singlePerSecond: 5_000,
  singleP99Ms: 50,
  ratioToCeiling: 0.5,
  batchPerSecond: 20_000,
};

export interface LoadShape {
  label: string;
  batchSize: number | null;
  concurrency: number;
  requests: number;
}

/** The loads measured, each against the producer and the bare server. */
export const LOADS: LoadShape[] = [
  { label: 'single, 1 in flight', batchSize: null, concurrency: 1, requests: 2_000 },
  { label: 'single, 50 in flight', batchSize: null, concurrency: 50, requests: 40_000 },
  { label: 'single, 200 in flight', batchSize: null, concurrency: 200, requests: 40_000 },
  { label: 'batch of 100, 8 in flight', batchSize: 100, concurrency: 8, requests: 600 },
  { label: 'batch of 500, 4 in flight', batchSize: 500, concurrency: 4, requests: 160 },
];

export interface LoadResult {
  eventsPerSecond: number | null;
  latencyMs: LatencySummary;
  failed: number;
  statuses: Record<string, number>;
  firstError: string | null;
}

export interface PublishingResult {
  scenario: 'publishing';
  loads: { shape: LoadShape; producer: LoadResult; bare: LoadResult }[];
  kafkajsRecordsPerSecond: number | null;
  peakRssMb: { producer: number | null; bare: number | null };
}

/** A producer from dist/ as a child process, on topics of its own, with every knob from `env`. */
export async function spawnProducer(
  topics: ReturnType<typeof uniqueEventTopics>,
  env: Record<string, string> = {},
): Promise<{ origin: string; token: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  // BENCH_PRODUCER_MAIN runs another build (e.g. an older commit's, for before/after figures).
  const main = process.env.BENCH_PRODUCER_MAIN ?? join(__dirname, '../dist/apps/producer/src/main.js');
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      PORT: String(port),
      PRODUCER_API_TOKEN: TOKEN,
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      KAFKA_TOPIC_CONVERSATIONS: topics.conversations,
      KAFKA_TOPIC_MESSAGES: topics.messages,
      KAFKA_TOPIC_TYPING: topics.typing,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      KAFKA_CLIENT_ID: uniqueName('bench-producer'),
      // The bench measures the publishing path; per-account rate limits are another matter.
      PUBLISH_RATE_LIMIT_PER_ACCOUNT: '0',
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(
    `producer child on port ${port}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`producer exited ${child.exitCode}: ${stderr}`);
      return (await fetch(`${origin}/health/live`)).ok;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  return { origin, token: TOKEN, child, stop: () => stopChild(child) };
}

/** A bare Node HTTP server that reads each body and answers 202 with a small JSON: the HTTP ceiling. */
async function spawnBareServer(): Promise<{ origin: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const script = `require('node:http').createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c)).on('end', () => {
    Buffer.concat(chunks);
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"event_id":"0","topic":"t","partition":0,"offset":"0"}');
  });
}).listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  const origin = `http://127.0.0.1:${port}`;
  await waitFor('bare HTTP server', async () => (await fetch(origin, { method: 'POST', body: '{}' })).ok, {
    timeoutMs: 10_000,
    intervalMs: 50,
  });
  return { origin, child, stop: () => stopChild(child) };
}

export async function publishingScenario(phaseDeadlineMs: number): Promise<PublishingResult> {
  const topics = uniqueEventTopics();
  const kafka = new Kafka({
    clientId: uniqueName('bench-pub'),
    brokers: KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
  });
  await ensureTopics(
    kafka,
    eventTopics(topics).map((topic) => ({ topic, partitions: PARTITIONS })),
  );
  const producer = await spawnProducer(topics);
  const bare = await spawnBareServer();
  try {
    const loads: PublishingResult['loads'] = [];
    for (const shape of LOADS) {
      log(`publishing: ${shape.label}: bare server, then producer`);
      const bareResult = await runLoad(bare.origin, shape, phaseDeadlineMs);
      const producerResult = await runLoad(producer.origin, shape, phaseDeadlineMs);
      loads.push({ shape, producer: producerResult, bare: bareResult });
    }
    const peakRssMb = { producer: peakRssMbOf(producer.child.pid), bare: peakRssMbOf(bare.child.pid) };
    log('publishing: ceiling: raw kafkajs batch produce');
    const kafkajsRecordsPerSecond = await rawKafkaProduce(kafka, topics.messages, 60_000);
    return { scenario: 'publishing', loads, kafkajsRecordsPerSecond, peakRssMb };
  } finally {
    await producer.stop();
    await bare.stop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: eventTopics(topics) }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** One load shape against `origin` (warm-up first), from a worker thread. */
export async function runLoad(
  origin: string,
  shape: LoadShape,
  phaseDeadlineMs: number,
  runId = uniqueName('bench'),
): Promise<LoadResult> {
  const input: HttpLoadInput = {
    origin,
    token: TOKEN,
    batchSize: shape.batchSize,
    accounts: ACCOUNTS,
    firstAccount: FIRST_ACCOUNT,
    requests: shape.requests,
    warmUpRequests: Math.max(shape.concurrency * 4, Math.ceil(shape.requests / 10)),
    concurrency: shape.concurrency,
    runId,
    deadlineAt: Date.now() + phaseDeadlineMs,
  };
  const output = await runHttpLoad(input);
  const seconds = (output.endedAt - output.startedAt) / 1000;
  return {
    eventsPerSecond: seconds > 0 ? output.events / seconds : null,
    latencyMs: summarizeLatencies(output.latenciesMs),
    failed: output.failed,
    statuses: output.statuses,
    firstError: output.firstError,
  };
}

export function runHttpLoad(input: HttpLoadInput): Promise<HttpLoadOutput> {
  const file = join(__dirname, `http-load.worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
  const execArgv = __filename.endsWith('.ts') ? ['--require', 'ts-node/register/transpile-only'] : [];
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: input, execArgv });
    worker.once('message', (output: HttpLoadOutput) => resolve(output));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`HTTP load worker exited with code ${code}`));
    });
  });
}

/** Raw kafkajs: the same records, idempotent, acks -1, 500 per request, one request at a time. */
async function rawKafkaProduce(kafka: Kafka, topic: string, records: number): Promise<number | null> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const batch = (n: number) =>
      Array.from({ length: 500 }, (_, k) => {
        const account = FIRST_ACCOUNT + ((n * 500 + k) % ACCOUNTS);
        return toEventMessage(
          exampleEvent('message_created', { id: account, name: `Bench account ${account}` }),
          newEventId(),
        );
      });
    for (let n = 0; n < 20; n++) await producer.send({ topic, acks: -1, messages: batch(n) }); // warm-up
    const started = Date.now();
    for (let n = 0; n < records / 500; n++) await producer.send({ topic, acks: -1, messages: batch(n) });
    return (records * 1000) / (Date.now() - started);
  } finally {
    await producer.disconnect();
  }
}

/** A process's peak resident set (VmHWM), in MB; null off Linux. */
export function peakRssMbOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export function publishingTable(r: PublishingResult): string {
  const t = PUBLISHING_TARGETS;
  const rows: string[][] = [
    [
      'load',
      'producer events/s',
      'p50 / p99 ms',
      'bare 202 server events/s',
      'p50 / p99 ms',
      'producer / lower ceiling',
      'target',
    ],
  ];
  for (const { shape, producer, bare } of r.loads) {
    const lower = [bare.eventsPerSecond, r.kafkajsRecordsPerSecond].filter((v): v is number => v !== null);
    const ratio =
      producer.eventsPerSecond !== null && lower.length > 0
        ? producer.eventsPerSecond / Math.min(...lower)
        : null;
    const target =
      shape.batchSize === null && shape.concurrency === 50
        ? `≥ ${formatNumber(t.singlePerSecond)}/s, p99 < ${t.singleP99Ms} ms, ≥ ${t.ratioToCeiling}`
        : shape.batchSize !== null
          ? `≥ ${formatNumber(t.batchPerSecond)}/s`
          : '';
    rows.push([
      shape.label + (producer.failed > 0 ? ` (${producer.failed} failed: ${producer.firstError ?? ''})` : ''),
      formatNumber(producer.eventsPerSecond),
      `${formatNumber(producer.latencyMs.p50, 1)} / ${formatNumber(producer.latencyMs.p99, 1)}`,
      formatNumber(bare.eventsPerSecond),
      `${formatNumber(bare.latencyMs.p50, 1)} / ${formatNumber(bare.latencyMs.p99, 1)}`,
      formatNumber(ratio, 2),
      target,
    ]);
  }
  return [
    'publishing through the producer API (single events over 100 accounts; ceilings measured in the same run)',
    formatTable(rows),
    `ceiling: raw kafkajs batch produce (idempotent, acks -1, 500 a request): ${formatNumber(r.kafkajsRecordsPerSecond)} records/s`,
    `peak RSS MB: producer ${formatNumber(r.peakRssMb.producer)}, bare server ${formatNumber(r.peakRssMb.bare)}`,
  ].join('\n');
}
