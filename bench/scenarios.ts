// The benchmark's scenarios. Each runs on a system of its own (fresh topics, consumer group and
// Postgres schema, dropped afterwards) with the dispatcher under test as a child process from
// dist/, so it has an event loop of its own; the receiver and the publisher run here.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { exampleEvent, eventTopics, type EventPublisher, type VowChatEvent } from '@vowchat/events';
import type { Kafka } from 'kafkajs';
import { DEFAULT_RETRY_SCHEDULE_MS } from '../apps/dispatcher/src/config';
import { freePort, uniqueName } from '../test/support/names';
import {
  cleanUp,
  connectPublisher,
  createWebhook,
  dispatcherEnv,
  newSystemNames,
  spawnDispatcher,
  type SpawnedDispatcher,
  type SystemNames,
} from '../test/support/system';
import type { BenchConfig } from './bench-config';
import {
  rawKafkaConsumption,
  rawUndiciPosts,
  type KafkaCeilingResult,
  type UndiciCeilingResult,
} from './ceilings';
import { cpuBudget, type CpuBudget } from './cpu-budget';
import { measureCpu, type CpuShare } from './cpu-usage';
import { DeliveryTally, startTallyingReceiver, type TallyingReceiver } from './delivery-tally';
import { log, waitForCount } from './progress';
import { peakRssMbOf, runHttpLoad, spawnProducer } from './publishing';
import { TARGET_RATIO } from './targets';
import {
  formatNumber,
  formatTable,
  latencyBySecond,
  median,
  ratePerSecond,
  ratio,
  summarizeLatencies,
  type LatencySummary,
  type LatencyWindow,
} from './stats';

/** Accounts are numbered from here; account `FIRST_ACCOUNT + i` has its webhook at /hooks/<id>. */
const FIRST_ACCOUNT = 1_001;
const PUBLISH_BATCH = 1_000;
const PACE_TICK_MS = 10;
/** Events delivered (uncounted) before a measured phase, to every webhook while all still answer. */
const WARM_UP_EVENTS = 5_000;

export interface DeliveryRun {
  expected: number;
  delivered: number;
  duplicates: number;
  complete: boolean;
  /** Distinct deliveries per second, first delivery to last. */
  perSecond: number | null;
  /** From resuming the warm, frozen dispatcher to its first delivery (first fetch). */
  firstDeliveryAfterMs: number | null;
  latencyMs: LatencySummary;
  /** Requests to paths that were not waited for (the dead endpoint). */
  excludedRequests: number;
  /** TCP connections the dispatcher opened to the receiver. */
  receiverConnections: number;
  /** Delivery counters scraped from the dispatcher's /metrics at the end. */
  dispatcherCounters: Record<string, number>;
  /** CPU used while the deliveries ran (the machine has `os.cpus().length` cores). */
  cpu: CpuShare;
  /** The largest peak RSS (VmHWM) among the dispatchers, in MB, read as the phase ends. */
  dispatcherPeakRssMb: number | null;
}

export interface PreloadedResult {
  scenario: string;
  webhooks: number;
  events: number;
  endToEnd: DeliveryRun;
  ceilings: { kafkajsRecordsPerSecond: KafkaCeilingResult; undiciRequestsPerSecond: UndiciCeilingResult };
  /** End-to-end over the lower ceiling (target ≥ 0.5). */
  ratioToLowerCeiling: number | null;
  /** The machine's CPU per delivery by part, against its CPU per raw undici request. */
  cpuBudget: CpuBudget;
}

export interface DeadEndpointResult extends PreloadedResult {
  deadPath: string;
  /** Requests the dead endpoint received while the healthy deliveries ran. */
  deadEndpointRequests: number;
  /** Healthy deliveries/s here over the fast-receiver scenario's (target: cost < 20 %). */
  healthyRateVsFast: number | null;
}

export interface PacedResult {
  scenario: string;
  webhooks: number;
  offeredPerSecond: number;
  seconds: number;
  published: number;
  /** Events actually published per second (the pacer can fall behind). */
  publishedPerSecond: number | null;
  endToEnd: DeliveryRun;
  /** Latency per second of the run, to place slow spells in time. */
  latencyBySecond: LatencyWindow[];
}

/** Scenario 1 or 2: events pre-loaded, then a dispatcher started against receivers answering at once or after a delay. */
export async function preloadedScenario(
  config: BenchConfig,
  kind: 'fast' | 'slow',
): Promise<PreloadedResult> {
  const events = kind === 'fast' ? config.fastEvents : config.slowEvents;
  const label = kind === 'fast' ? 'fast receiver' : `receivers answering in ${config.slowReceiverMs} ms`;
  return runPreloaded(config, label, events, (receiver, paths) => {
    if (kind === 'slow')
      for (const path of paths) receiver.receiver.behave(path, { kind: 'delay', ms: config.slowReceiverMs });
    return null;
  });
}

/** Scenario 3: as the fast one, but one endpoint of the hundred never answers (the dispatcher's timeout). */
export async function deadEndpointScenario(
  config: BenchConfig,
  fast: PreloadedResult | undefined,
): Promise<DeadEndpointResult> {
  let deadPath = '';
  const result = await runPreloaded(config, 'one dead endpoint', config.fastEvents, (receiver, paths) => {
    deadPath = paths[0];
    receiver.receiver.behave(deadPath, { kind: 'hang' });
    return deadPath;
  });
  return {
    ...result,
    deadPath,
    deadEndpointRequests: result.endToEnd.excludedRequests,
    healthyRateVsFast: ratio(result.endToEnd.perSecond, fast?.endToEnd.perSecond ?? null),
  };
}

async function runPreloaded(
  config: BenchConfig,
  label: string,
  eventCount: number,
  /** Sets the receiver's behaviours; returns the path whose deliveries are not waited for, if any. */
  arrange: (receiver: TallyingReceiver, paths: string[]) => string | null,
): Promise<PreloadedResult> {
  const receiver = await startTallyingReceiver();
  const system = await BenchSystem.start(config);
  try {
    // Warm dispatchers, frozen while the backlog is loaded: the figures then describe a dispatcher
    // that has been running (compiled code, open sockets, grown heap), as the ceilings, which are
    // warmed up too, describe warm clients.
    const dispatchers = await system.spawnDispatchers(config.dispatchers);
    log(`[${label}] registering ${config.accounts} webhooks`);
    const paths = await registerWebhooks(dispatchers[0], receiver, config.accounts);
    await uncountedPhase(receiver, config, `[${label}] warm-up`, async (warmUpId) => {
      log(`[${label}] warming the dispatcher up with ${WARM_UP_EVENTS.toLocaleString('en-US')} events`);
      await publishAll(
        system.publisher,
        plannedEvents(warmUpId, config.accounts, WARM_UP_EVENTS, Date.now()),
        '',
      );
      return WARM_UP_EVENTS;
    });
    for (const d of dispatchers) d.child.kill('SIGSTOP');

    const runId = uniqueName('run');
    const planned = plannedEvents(runId, config.accounts, eventCount, Date.now());
    await publishAll(system.publisher, planned, `[${label}] pre-loading`);
    const excluded = arrange(receiver, paths);
    const included = (path: string) => path !== excluded;
    const healthy = planned.filter((event) => included(pathOf(event.account.id)));

    const tally = new DeliveryTally({ runId, include: included });
    const endToEnd = await measuredPhase(system, receiver, dispatchers, tally, config, label, async () => {
      const resumedAt = Date.now();
      for (const d of dispatchers) d.child.kill('SIGCONT');
      return { expected: healthy.length, startedAt: resumedAt };
    });

    // The ceilings, on the same records and bodies, with no dispatcher running.
    const records = WARM_UP_EVENTS + eventCount;
    log(`[${label}] ceiling: raw kafkajs consumption of ${records.toLocaleString('en-US')} records`);
    const kafkaCeiling = await rawKafkaConsumption(
      system.kafka,
      eventTopics(system.names.topics),
      records,
      Date.now() + config.phaseDeadlineMs,
    );
    log(`[${label}] ceiling: raw undici POSTs of ${healthy.length.toLocaleString('en-US')} bodies`);
    const undiciCeiling = await rawUndiciPosts(
      receiver,
      healthy.map((event) => ({ path: pathOf(event.account.id), body: JSON.stringify(event) })),
      config.undiciConcurrency,
      runId,
      Date.now() + config.phaseDeadlineMs,
    );

    const lower = lowerOf(kafkaCeiling.perSecond, undiciCeiling.perSecond);
    return {
      scenario: label,
      webhooks: config.accounts,
      events: eventCount,
      endToEnd,
      ceilings: { kafkajsRecordsPerSecond: kafkaCeiling, undiciRequestsPerSecond: undiciCeiling },
      ratioToLowerCeiling: ratio(endToEnd.perSecond, lower),
      cpuBudget: cpuBudget(
        endToEnd,
        { cpu: undiciCeiling.cpu, requests: undiciCeiling.requestsSent },
        { cpu: kafkaCeiling.cpu, records: kafkaCeiling.expected },
        TARGET_RATIO,
      ),
    };
  } finally {
    receiver.countWith(null);
    await system.close();
    await receiver.receiver.close();
  }
}

/** Scenario 4: a running dispatcher, events published at a steady rate, produce-to-delivery latency. */
export async function pacedScenario(config: BenchConfig): Promise<PacedResult> {
  const label = `paced ${config.pacedRate.toLocaleString('en-US')}/s`;
  const receiver = await startTallyingReceiver();
  const system = await BenchSystem.start(config);
  try {
    const dispatchers = await system.spawnDispatchers(config.dispatchers);
    log(`[${label}] registering ${config.accounts} webhooks`);
    await registerWebhooks(dispatchers[0], receiver, config.accounts);

    // A warm-up at the same rate opens the connections, compiles the hot code and grows the heap,
    // so the figures describe a dispatcher that has been running, not one that just started.
    if (config.pacedWarmUpSeconds > 0) {
      await uncountedPhase(receiver, config, `[${label}] warm-up`, async (warmUpId) => {
        log(`[${label}] warming up for ${config.pacedWarmUpSeconds} s`);
        return (await publishPaced(system.publisher, warmUpId, config, config.pacedWarmUpSeconds)).count;
      });
    }

    const runId = uniqueName('run');
    const tally = new DeliveryTally({ runId });
    const total = config.pacedRate * config.pacedSeconds;
    let published = { count: 0, startedAt: 0, endedAt: 0 };
    const endToEnd = await measuredPhase(system, receiver, dispatchers, tally, config, label, async () => {
      log(`[${label}] publishing ${total.toLocaleString('en-US')} events over ${config.pacedSeconds} s`);
      published = await publishPaced(system.publisher, runId, config, config.pacedSeconds);
      return { expected: published.count, startedAt: null };
    });
    return {
      scenario: label,
      webhooks: config.accounts,
      offeredPerSecond: config.pacedRate,
      seconds: config.pacedSeconds,
      published: published.count,
      publishedPerSecond: ratePerSecond(published.count, published.startedAt, published.endedAt),
      endToEnd,
      latencyBySecond: latencyBySecond(tally.latencyArrivals, tally.latenciesMs),
    };
  } finally {
    receiver.countWith(null);
    await system.close();
    await receiver.receiver.close();
  }
}

export interface ApiEndToEndResult {
  scenario: string;
  webhooks: number;
  events: number;
  /** Events entering through the producer API (batches of API_BATCH, API_IN_FLIGHT in flight) while the dispatcher runs. */
  endToEnd: DeliveryRun;
  /** Events accepted by the producer per second over the same run. */
  acceptedPerSecond: number | null;
  producerPeakRssMb: number | null;
  /** The pre-loaded Kafka path's end-to-end rate in this run (median of the fast rounds). */
  preloadedPerSecond: number | null;
  /** endToEnd over preloaded (target ≥ 0.8). */
  ratioToPreloaded: number | null;
}

const API_BATCH = 100;
const API_IN_FLIGHT = 8;

/**
 * End to end through the producer API: a warm dispatcher and producer (child processes), the
 * events POSTed in batches while the dispatcher delivers them; deliveries/s against the pre-loaded
 * Kafka path measured in the same run (a fast round is run first when the run has none).
 */
export async function apiEndToEndScenario(
  config: BenchConfig,
  fastRounds: PreloadedResult[],
): Promise<ApiEndToEndResult> {
  const fast = fastRounds.length > 0 ? fastRounds : [await preloadedScenario(config, 'fast')];
  const preloadedPerSecond = median(fast.map((r) => r.endToEnd.perSecond));
  const label = 'through the producer API';
  const receiver = await startTallyingReceiver();
  const system = await BenchSystem.start(config);
  const producer = await spawnProducer(system.names.topics, {
    KAFKA_TOPIC_PARTITIONS: String(config.partitions),
  });
  try {
    const dispatchers = await system.spawnDispatchers(config.dispatchers);
    log(`[${label}] registering ${config.accounts} webhooks`);
    await registerWebhooks(dispatchers[0], receiver, config.accounts);
    const requests = Math.ceil(config.fastEvents / API_BATCH);
    const load = (runId: string, count: number) =>
      runHttpLoad({
        origin: producer.origin,
        token: producer.token,
        batchSize: API_BATCH,
        accounts: config.accounts,
        firstAccount: FIRST_ACCOUNT,
        requests: count,
        warmUpRequests: 0,
        concurrency: API_IN_FLIGHT,
        runId,
        deadlineAt: Date.now() + config.phaseDeadlineMs,
      });
    await uncountedPhase(receiver, config, `[${label}] warm-up`, async (warmUpId) => {
      log(`[${label}] warming the producer and the dispatcher up with ${WARM_UP_EVENTS} events`);
      return (await load(warmUpId, WARM_UP_EVENTS / API_BATCH)).events;
    });
    const runId = uniqueName('run');
    const tally = new DeliveryTally({ runId });
    let accepted: { events: number; startedAt: number; endedAt: number } = {
      events: 0,
      startedAt: 0,
      endedAt: 0,
    };
    const endToEnd = await measuredPhase(system, receiver, dispatchers, tally, config, label, async () => {
      log(`[${label}] POSTing ${(requests * API_BATCH).toLocaleString('en-US')} events`);
      const output = await load(runId, requests);
      if (output.failed > 0) log(`[${label}] ${output.failed} requests failed: ${output.firstError}`);
      accepted = output;
      return { expected: output.events, startedAt: null };
    });
    return {
      scenario: label,
      webhooks: config.accounts,
      events: accepted.events,
      endToEnd,
      acceptedPerSecond: ratePerSecond(accepted.events, accepted.startedAt, accepted.endedAt),
      producerPeakRssMb: peakRssMbOf(producer.child.pid),
      preloadedPerSecond,
      ratioToPreloaded: ratio(endToEnd.perSecond, preloadedPerSecond),
    };
  } finally {
    receiver.countWith(null);
    await producer.stop();
    await system.close();
    await receiver.receiver.close();
  }
}

export function apiEndToEndTable(r: ApiEndToEndResult): string {
  return [
    `${r.scenario}: ${r.webhooks} webhooks, ${formatNumber(r.events)} events in batches of ${API_BATCH}, ${API_IN_FLIGHT} in flight`,
    formatTable([
      ['figure', 'value', 'target'],
      ['end-to-end deliveries/s (through the API)', formatNumber(r.endToEnd.perSecond), ''],
      ['events accepted by the producer/s', formatNumber(r.acceptedPerSecond), ''],
      ['end-to-end deliveries/s (pre-loaded Kafka, this run)', formatNumber(r.preloadedPerSecond), ''],
      ['through the API / pre-loaded', formatNumber(r.ratioToPreloaded, 2), '≥ 0.8'],
      [
        'latency p50 / p99 ms (publish to delivery)',
        `${formatNumber(r.endToEnd.latencyMs.p50)} / ${formatNumber(r.endToEnd.latencyMs.p99)}`,
        '',
      ],
      ['duplicates', formatNumber(r.endToEnd.duplicates), ''],
      [
        'peak RSS MB: dispatcher / producer',
        `${formatNumber(r.endToEnd.dispatcherPeakRssMb)} / ${formatNumber(r.producerPeakRssMb)}`,
        '< 300 (dispatcher)',
      ],
    ]),
  ].join('\n');
}

/** One scenario's topics, group, schema and publisher, and the dispatchers it spawns. */
class BenchSystem {
  private readonly running = new Set<SpawnedDispatcher>();

  private constructor(
    readonly names: SystemNames,
    readonly kafka: Kafka,
    readonly publisher: EventPublisher,
    private readonly env: Record<string, string>,
    private readonly cpuProfileDir: string | null,
  ) {}

  static async start(config: BenchConfig): Promise<BenchSystem> {
    const names = newSystemNames();
    const { kafka, publisher } = await connectPublisher(names, config.partitions);
    const env = dispatcherEnv(names, {
      // The production schedule and breaker cool-down, not the tests' fast ones.
      RETRY_SCHEDULE_MS: DEFAULT_RETRY_SCHEDULE_MS.join(','),
      RETRY_POLL_MS: '1000',
      BREAKER_RESET_TIMEOUT_MS: '30000',
      ...(config.cpuProfileDir
        ? {
            NODE_OPTIONS: `--require ${join(__dirname, 'cpu-profile.preload.js')}`,
            BENCH_CPU_PROF_DIR: config.cpuProfileDir,
          }
        : {}),
      ...config.dispatcherEnv,
    });
    return new BenchSystem(names, kafka, publisher, env, config.cpuProfileDir);
  }

  async spawnDispatcher(): Promise<SpawnedDispatcher> {
    const dispatcher = await spawnDispatcher(this.env, await freePort());
    this.running.add(dispatcher);
    return dispatcher;
  }

  /** `count` dispatchers started together: one consumer group sharing the partitions. */
  spawnDispatchers(count: number): Promise<SpawnedDispatcher[]> {
    return Promise.all(Array.from({ length: count }, () => this.spawnDispatcher()));
  }

  async stopDispatchers(dispatchers: SpawnedDispatcher[]): Promise<void> {
    await Promise.all(dispatchers.map((d) => this.stopDispatcher(d)));
  }

  /** A graceful stop (SIGTERM), bounded: a dispatcher still draining after 20 s is killed. */
  async stopDispatcher(dispatcher: SpawnedDispatcher): Promise<void> {
    this.running.delete(dispatcher);
    if (this.cpuProfileDir) await takeCpuProfile(dispatcher, this.cpuProfileDir);
    let timer: NodeJS.Timeout | undefined;
    const graceful = await Promise.race([
      dispatcher.stop().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 20_000))),
    ]);
    clearTimeout(timer);
    if (!graceful) await dispatcher.kill('SIGKILL');
  }

  async close(): Promise<void> {
    for (const dispatcher of [...this.running]) await dispatcher.kill('SIGKILL');
    await this.publisher.disconnect();
    await cleanUp(this.names);
  }
}

/** A phase whose deliveries are not counted: `publish` sends them under a run id of its own and says how many; waits for them all. */
async function uncountedPhase(
  receiver: TallyingReceiver,
  config: BenchConfig,
  label: string,
  publish: (runId: string) => Promise<number>,
): Promise<void> {
  const runId = uniqueName('uncounted');
  const tally = new DeliveryTally({ runId });
  receiver.countWith(tally);
  const sent = await publish(runId);
  await waitForCount(label, () => tally.unique, sent, Date.now() + config.phaseDeadlineMs);
  receiver.countWith(null);
}

/**
 * A measured phase: `drive` makes the deliveries happen and says how many to wait for; the
 * figures cover from before it starts to the last delivery. The dispatchers are stopped after.
 */
async function measuredPhase(
  system: BenchSystem,
  receiver: TallyingReceiver,
  dispatchers: SpawnedDispatcher[],
  tally: DeliveryTally,
  config: BenchConfig,
  label: string,
  drive: () => Promise<{ expected: number; startedAt: number | null }>,
): Promise<DeliveryRun> {
  receiver.countWith(tally);
  const connectionsBefore = receiver.receiver.connectionCount();
  const cpu = measureCpu(dispatchers.map((d) => d.child.pid));
  const { expected, startedAt } = await drive();
  const complete = await waitForCount(
    `[${label}] deliveries`,
    () => tally.unique,
    expected,
    Date.now() + config.phaseDeadlineMs,
  );
  const endToEnd = deliveryRun(
    tally,
    expected,
    complete,
    startedAt,
    cpu(),
    await scrapeCounters(dispatchers),
  );
  endToEnd.receiverConnections = receiver.receiver.connectionCount() - connectionsBefore;
  const peaks = dispatchers.map((d) => peakRssMbOf(d.child.pid)).filter((v): v is number => v !== null);
  endToEnd.dispatcherPeakRssMb = peaks.length > 0 ? Math.max(...peaks) : null;
  await system.stopDispatchers(dispatchers);
  receiver.countWith(null);
  return endToEnd;
}

/** Registers one webhook per account, each at its own path of the receiver; returns the paths. */
async function registerWebhooks(
  dispatcher: SpawnedDispatcher,
  receiver: TallyingReceiver,
  accounts: number,
): Promise<string[]> {
  const paths = Array.from({ length: accounts }, (_, i) => pathOf(FIRST_ACCOUNT + i));
  for (let i = 0; i < accounts; i += 10) {
    await Promise.all(
      paths
        .slice(i, i + 10)
        .map((path, j) =>
          createWebhook(dispatcher.baseUrl, FIRST_ACCOUNT + i + j, receiver.receiver.url(path), [
            'message_created',
          ]),
        ),
    );
  }
  return paths;
}

function pathOf(accountId: number): string {
  return `/hooks/${accountId}`;
}

type BenchEvent = VowChatEvent & { bench_run: string; bench_sent_at: number };

/** `count` message_created events spread round-robin over the accounts, stamped with the run and a send time. */
function plannedEvents(
  runId: string,
  accounts: number,
  count: number,
  sentAt: number,
  first = 0,
): BenchEvent[] {
  return Array.from({ length: count }, (_, k) => {
    const seq = first + k;
    const accountId = FIRST_ACCOUNT + (seq % accounts);
    const event = exampleEvent('message_created', { id: accountId, name: `Bench account ${accountId}` });
    return Object.assign(event, { id: String(seq + 1), bench_run: runId, bench_sent_at: sentAt });
  });
}

async function publishAll(publisher: EventPublisher, events: VowChatEvent[], label: string): Promise<void> {
  let lastPrintAt = Date.now();
  for (let i = 0; i < events.length; i += PUBLISH_BATCH) {
    await publisher.publishMany(events.slice(i, i + PUBLISH_BATCH));
    if (label && Date.now() - lastPrintAt >= 3_000) {
      log(
        `${label}: ${Math.min(i + PUBLISH_BATCH, events.length).toLocaleString('en-US')}/${events.length.toLocaleString('en-US')} events`,
      );
      lastPrintAt = Date.now();
    }
  }
}

/** Publishes at the configured rate for `seconds`: on each timer tick, whatever is due by now. */
async function publishPaced(
  publisher: EventPublisher,
  runId: string,
  config: BenchConfig,
  seconds: number,
): Promise<{ count: number; startedAt: number; endedAt: number }> {
  const total = config.pacedRate * seconds;
  const startedAt = Date.now();
  // Twice the planned duration: a pacer that cannot keep up stops rather than running on.
  const deadlineAt = startedAt + 2 * seconds * 1000;
  let sent = 0;
  let lastPrintAt = startedAt;
  while (sent < total && Date.now() < deadlineAt) {
    const due = Math.min(total, Math.floor(((Date.now() - startedAt) * config.pacedRate) / 1000));
    if (due > sent) {
      await publisher.publishMany(plannedEvents(runId, config.accounts, due - sent, Date.now(), sent));
      sent = due;
    }
    if (Date.now() - lastPrintAt >= 3_000) {
      log(`publishing: ${sent.toLocaleString('en-US')}/${total.toLocaleString('en-US')} events`);
      lastPrintAt = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, PACE_TICK_MS));
  }
  return { count: sent, startedAt, endedAt: Date.now() };
}

function deliveryRun(
  tally: DeliveryTally,
  expected: number,
  complete: boolean,
  resumedAt: number | null,
  cpu: CpuShare,
  counters: Record<string, number>,
): DeliveryRun {
  return {
    expected,
    delivered: tally.unique,
    duplicates: tally.duplicates,
    complete,
    perSecond: ratePerSecond(tally.unique, tally.firstAt ?? 0, tally.lastAt ?? 0),
    firstDeliveryAfterMs: resumedAt !== null && tally.firstAt !== null ? tally.firstAt - resumedAt : null,
    latencyMs: summarizeLatencies(tally.latenciesMs),
    excludedRequests: tally.excluded,
    receiverConnections: 0,
    dispatcherCounters: counters,
    cpu,
    dispatcherPeakRssMb: null,
  };
}

/** The dispatchers' delivery counters (attempts by outcome, deferrals, dead letters), summed. */
async function scrapeCounters(dispatchers: SpawnedDispatcher[]): Promise<Record<string, number>> {
  const counters: Record<string, number> = {};
  for (const dispatcher of dispatchers) {
    const text = await (await fetch(`${dispatcher.baseUrl}/metrics`)).text();
    for (const line of text.split('\n')) {
      const match =
        /^(vowchat_(?:delivery_attempts|deliveries_deferred|dead_letters|breaker_transitions)_total\S*) (\S+)$/.exec(
          line,
        );
      if (match) counters[match[1]] = (counters[match[1]] ?? 0) + Number(match[2]);
    }
  }
  return counters;
}

/** Asks a dispatcher started with the profiling preload for its profile and waits for the file. */
async function takeCpuProfile(dispatcher: SpawnedDispatcher, dir: string): Promise<void> {
  const file = join(dir, `dispatcher-${dispatcher.child.pid}.cpuprofile`);
  dispatcher.child.kill('SIGUSR2');
  const written = await waitForCount('cpu profile', () => (existsSync(file) ? 1 : 0), 1, Date.now() + 30_000);
  if (written) log(`cpu profile: ${file}`);
}

function lowerOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
