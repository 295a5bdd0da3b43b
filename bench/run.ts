// `npm run bench`: runs the scenarios in order, prints a table per scenario with the targets
// beside the figures, and writes everything to bench/results/latest.json. It reports; it never
// fails on a missed target.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@vowchat/platform';
import { KAFKA_BROKERS } from '../test/support/infra';
import { loadBenchConfig, type BenchConfig } from './bench-config';
import { healthApiScenario, healthApiTable, type HealthApiResult } from './health-api';
import { observabilityOverheadScenario, overheadTable, type OverheadResult } from './observability-overhead';
import { log } from './progress';
import { publishingScenario, publishingTable, type PublishingResult } from './publishing';
import {
  apiEndToEndScenario,
  apiEndToEndTable,
  deadEndpointScenario,
  pacedScenario,
  preloadedScenario,
  type ApiEndToEndResult,
  type DeadEndpointResult,
  type DeliveryRun,
  type PacedResult,
  type PreloadedResult,
} from './scenarios';
import { formatNumber, formatTable, median, ratio } from './stats';
import { TARGET_DEAD_COST, TARGET_P99_MS, TARGET_RATIO } from './targets';

interface Results {
  /** One per round: fast and dead runs alternate so both see the same machine conditions. */
  fast: PreloadedResult[];
  dead: DeadEndpointResult[];
  repeated?: RepeatedSummary;
  slow?: PreloadedResult;
  paced?: PacedResult;
  healthApi?: HealthApiResult;
  observabilityOverhead?: OverheadResult;
  publishing?: PublishingResult;
  apiEndToEnd?: ApiEndToEndResult;
}

/** Medians over the rounds: on a shared machine one run of a scenario moves by ±15 %. */
interface RepeatedSummary {
  rounds: number;
  fastPerSecond: number | null;
  /** Median of the per-run ratios (each run against the ceilings measured just before it). */
  fastRatio: number | null;
  deadHealthyPerSecond: number | null;
  deadRatio: number | null;
  /** 1 − median dead-scenario healthy rate / median fast rate. */
  deadEndpointCost: number | null;
}

async function main(): Promise<void> {
  const config = loadBenchConfig();
  await preflight();
  const startedAt = new Date();
  log(
    `benchmark: scenarios ${config.scenarios.join(', ')}; fast and dead ${config.repeats} time(s) each, alternating`,
  );
  const results: Results = { fast: [], dead: [] };
  const wants = (scenario: (typeof config.scenarios)[number]) => config.scenarios.includes(scenario);
  for (let round = 1; round <= config.repeats && (wants('fast') || wants('dead')); round++) {
    const of = `round ${round}/${config.repeats}`;
    let fast: PreloadedResult | undefined;
    if (wants('fast')) {
      fast = await preloadedScenario(config, 'fast');
      results.fast.push(fast);
      print(preloadedTable(fast, of, true));
    }
    if (wants('dead')) {
      const dead = await deadEndpointScenario(config, fast);
      results.dead.push(dead);
      print(deadTable(dead, of));
    }
  }
  if (results.fast.length + results.dead.length > 0) {
    results.repeated = summarizeRounds(results.fast, results.dead);
    print(repeatedTable(results.repeated, results.fast, results.dead));
  }
  if (wants('slow')) {
    results.slow = await preloadedScenario(config, 'slow');
    // No CPU budget here: the undici ceiling is capped by its concurrency, not by the machine.
    print(preloadedTable(results.slow, null, false));
  }
  if (wants('paced')) {
    results.paced = await pacedScenario(config);
    print(pacedTable(results.paced));
  }
  if (wants('health-api')) {
    results.healthApi = await healthApiScenario();
    print(healthApiTable(results.healthApi));
  }
  if (wants('observability-overhead')) {
    results.observabilityOverhead = await observabilityOverheadScenario(config);
    print(overheadTable(results.observabilityOverhead));
  }
  if (wants('publishing')) {
    results.publishing = await publishingScenario(config.phaseDeadlineMs);
    print(publishingTable(results.publishing));
  }
  if (wants('api-end-to-end')) {
    results.apiEndToEnd = await apiEndToEndScenario(config, results.fast);
    print(apiEndToEndTable(results.apiEndToEnd));
  }
  const file = writeResults(config, startedAt, results);
  log(`benchmark done in ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s; results in ${file}`);
}

function summarizeRounds(fast: PreloadedResult[], dead: DeadEndpointResult[]): RepeatedSummary {
  const fastPerSecond = median(fast.map((r) => r.endToEnd.perSecond));
  const deadHealthyPerSecond = median(dead.map((r) => r.endToEnd.perSecond));
  const healthyShare = ratio(deadHealthyPerSecond, fastPerSecond);
  return {
    rounds: Math.max(fast.length, dead.length),
    fastPerSecond,
    fastRatio: median(fast.map((r) => r.ratioToLowerCeiling)),
    deadHealthyPerSecond,
    deadRatio: median(dead.map((r) => r.ratioToLowerCeiling)),
    deadEndpointCost: healthyShare === null ? null : 1 - healthyShare,
  };
}

function repeatedTable(s: RepeatedSummary, fast: PreloadedResult[], dead: DeadEndpointResult[]): string {
  const each = (values: (number | null)[], digits = 0) =>
    values.map((v) => formatNumber(v, digits)).join(' / ');
  const rows: string[][] = [['figure', 'each run', 'median', 'target']];
  const scenarioRows = (
    label: string,
    rateName: string,
    runs: PreloadedResult[],
    medianRate: number | null,
    medianRatio: number | null,
  ) => [
    [`${label}: ${rateName}`, each(runs.map((r) => r.endToEnd.perSecond)), formatNumber(medianRate), ''],
    [
      `${label}: raw undici requests/s`,
      each(runs.map((r) => r.ceilings.undiciRequestsPerSecond.perSecond)),
      '',
      '',
    ],
    [
      `${label}: end-to-end / lower ceiling`,
      each(
        runs.map((r) => r.ratioToLowerCeiling),
        2,
      ),
      formatNumber(medianRatio, 2),
      `≥ ${TARGET_RATIO}`,
    ],
    [
      `${label}: machine CPU µs per delivery / per raw request`,
      runs
        .map(
          (r) =>
            `${formatNumber(r.cpuBudget.perDeliveryUs.machine)}/${formatNumber(r.cpuBudget.perRawRequestUs)}`,
        )
        .join(' / '),
      '',
      '',
    ],
    [
      `${label}: dispatcher CPU µs left for ratio ${TARGET_RATIO} / used`,
      runs
        .map(
          (r) =>
            `${formatNumber(r.cpuBudget.leftForDispatcherUs)}/${formatNumber(r.cpuBudget.perDeliveryUs.dispatcher)}`,
        )
        .join(' / '),
      `${formatNumber(median(runs.map((r) => r.cpuBudget.leftForDispatcherUs)))}/${formatNumber(median(runs.map((r) => r.cpuBudget.perDeliveryUs.dispatcher)))}`,
      '',
    ],
  ];
  if (fast.length > 0)
    rows.push(...scenarioRows('fast', 'end-to-end deliveries/s', fast, s.fastPerSecond, s.fastRatio));
  if (dead.length > 0)
    rows.push(...scenarioRows('dead', 'healthy deliveries/s', dead, s.deadHealthyPerSecond, s.deadRatio));
  if (fast.length > 0 && dead.length > 0)
    rows.push([
      'cost of the dead endpoint to the healthy ones',
      '1 − median dead / median fast',
      s.deadEndpointCost === null ? 'n/a' : `${formatNumber(s.deadEndpointCost * 100, 1)} %`,
      `< ${TARGET_DEAD_COST * 100} %`,
    ]);
  return [`fast receiver and one dead endpoint: ${s.rounds} alternating round(s)`, formatTable(rows)].join(
    '\n',
  );
}

/** Fails early, saying what to do, when the build or the broker is missing. */
async function preflight(): Promise<void> {
  const main = join(__dirname, '../dist/apps/dispatcher/src/main.js');
  if (!existsSync(main))
    throw new Error(`${main} is missing: run npm run build (or npm run bench, which builds)`);
  const [host, port] = KAFKA_BROKERS[0].split(':');
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = connect(Number(port), host, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (!reachable) throw new Error(`no Kafka broker at ${KAFKA_BROKERS[0]}: run bash scripts/infra.sh up`);
}

function print(table: string): void {
  process.stdout.write(`\n${table}\n\n`);
}

function preloadedTable(r: PreloadedResult, round: string | null, withBudget: boolean): string {
  const { kafkajsRecordsPerSecond: kafka, undiciRequestsPerSecond: undici } = r.ceilings;
  return [
    `${r.scenario}${round ? ` (${round})` : ''}: ${r.webhooks} webhooks, ${formatNumber(r.events)} pre-loaded events`,
    formatTable([
      ['figure', 'value', 'target'],
      ['end-to-end deliveries/s', rate(r.endToEnd), ''],
      ['ceiling: raw kafkajs records/s', ceiling(kafka), ''],
      ['ceiling: raw undici requests/s', ceiling(undici), ''],
      ['end-to-end / lower ceiling', formatNumber(r.ratioToLowerCeiling, 2), `≥ ${TARGET_RATIO}`],
      ...runDetails(r.endToEnd, 'latency p50 / p99 ms (queueing)'),
      ...(withBudget ? budgetRows(r) : []),
    ]),
    countersBlock(r.endToEnd),
  ].join('\n');
}

function deadTable(r: DeadEndpointResult, round: string): string {
  const cost = r.healthyRateVsFast === null ? null : 1 - r.healthyRateVsFast;
  return [
    `${r.scenario} (${round}): ${r.webhooks} webhooks (${r.deadPath} never answers), ${formatNumber(r.events)} pre-loaded events`,
    formatTable([
      ['figure', 'value', 'target'],
      ['healthy deliveries/s', rate(r.endToEnd), ''],
      ['healthy / fast-receiver deliveries/s', formatNumber(r.healthyRateVsFast, 2), ''],
      [
        "cost to the healthy endpoints (against this round's fast run)",
        cost === null ? 'n/a' : `${formatNumber(cost * 100, 1)} %`,
        `< ${TARGET_DEAD_COST * 100} %`,
      ],
      ['ceiling: raw kafkajs records/s', ceiling(r.ceilings.kafkajsRecordsPerSecond), ''],
      ['ceiling: raw undici requests/s (healthy)', ceiling(r.ceilings.undiciRequestsPerSecond), ''],
      ['end-to-end / lower ceiling', formatNumber(r.ratioToLowerCeiling, 2), `≥ ${TARGET_RATIO}`],
      ['requests to the dead endpoint', formatNumber(r.deadEndpointRequests), ''],
      ...runDetails(r.endToEnd, 'latency p50 / p99 ms (queueing)'),
      ...budgetRows(r),
    ]),
    countersBlock(r.endToEnd),
  ].join('\n');
}

function pacedTable(r: PacedResult): string {
  const l = r.endToEnd.latencyMs;
  return [
    `${r.scenario}: ${r.webhooks} webhooks, ${r.seconds} s at ${formatNumber(r.offeredPerSecond)} events/s`,
    formatTable([
      ['figure', 'value', 'target'],
      ['events published/s', formatNumber(r.publishedPerSecond), formatNumber(r.offeredPerSecond)],
      ['end-to-end deliveries/s', rate(r.endToEnd), ''],
      ['latency p50 ms', formatNumber(l.p50), ''],
      ['latency p99 ms', formatNumber(l.p99), `< ${TARGET_P99_MS}`],
      ['latency max ms', formatNumber(l.max), ''],
      ...runDetails(r.endToEnd, null),
    ]),
    `latency p99 ms per second: ${r.latencyBySecond.map((w) => formatNumber(w.p99)).join(' ')}`,
    countersBlock(r.endToEnd),
  ].join('\n');
}

function rate(run: DeliveryRun): string {
  const value = formatNumber(run.perSecond);
  return run.complete
    ? value
    : `${value} (incomplete: ${formatNumber(run.delivered)}/${formatNumber(run.expected)})`;
}

function ceiling(c: {
  perSecond: number | null;
  complete: boolean;
  count: number;
  expected: number;
  note?: string;
}): string {
  const value = formatNumber(c.perSecond);
  const incomplete = c.complete ? '' : ` (incomplete: ${formatNumber(c.count)}/${formatNumber(c.expected)})`;
  return `${value}${incomplete}${c.note ? ` (${c.note})` : ''}`;
}

function runDetails(run: DeliveryRun, latencyLabel: string | null): string[][] {
  return [
    ...(latencyLabel
      ? [[latencyLabel, `${formatNumber(run.latencyMs.p50)} / ${formatNumber(run.latencyMs.p99)}`, '']]
      : []),
    ['first delivery after the dispatcher resumed, ms', formatNumber(run.firstDeliveryAfterMs), ''],
    ['duplicates', formatNumber(run.duplicates), ''],
    ['dispatcher peak RSS MB', formatNumber(run.dispatcherPeakRssMb), '< 300'],
    ['new connections to the receiver', formatNumber(run.receiverConnections), ''],
    [
      'CPU % of a core: dispatcher / bench',
      `${formatNumber(run.cpu.dispatcherPercent)} / ${formatNumber(run.cpu.benchPercent)}`,
      '',
    ],
    ['machine busy, % of all cores', formatNumber(run.cpu.machineBusyPercent), ''],
    [
      'dispatcher CPU µs per delivery',
      formatNumber(
        run.cpu.dispatcherSeconds === null || run.delivered === 0
          ? null
          : (run.cpu.dispatcherSeconds * 1e6) / run.delivered,
      ),
      '',
    ],
  ];
}

/** The machine's CPU per delivery by part against its CPU per raw request (bench/cpu-budget.ts). */
function budgetRows(r: PreloadedResult): string[][] {
  const b = r.cpuBudget;
  const d = b.perDeliveryUs;
  return [
    [
      'CPU µs per delivery: Kafka / Postgres / bench / rest',
      [d.kafka, d.postgres, d.bench, d.rest].map((v) => formatNumber(v)).join(' / '),
      '',
    ],
    ['machine CPU µs per delivery (every process)', formatNumber(d.machine), ''],
    ['machine CPU µs per raw undici request', formatNumber(b.perRawRequestUs), ''],
    [
      'raw kafkajs CPU µs per record: consumer / broker',
      `${formatNumber(b.perRawRecordUs.consumer, 1)} / ${formatNumber(b.perRawRecordUs.broker, 1)}`,
      '',
    ],
    [
      'machine busy %: end-to-end / undici ceiling',
      `${formatNumber(r.endToEnd.cpu.machineBusyPercent)} / ${formatNumber(r.ceilings.undiciRequestsPerSecond.cpu.machineBusyPercent)}`,
      '',
    ],
    [
      `machine CPU µs a delivery may take for ratio ${TARGET_RATIO}`,
      formatNumber(b.allowedPerDeliveryUs),
      `used: ${formatNumber(d.machine)}`,
    ],
    [
      'of that, left for the dispatcher after Kafka, Postgres, bench, rest',
      formatNumber(b.leftForDispatcherUs),
      `used: ${formatNumber(d.dispatcher)}`,
    ],
  ];
}

/** The dispatcher's own counters, one per line under the table. */
function countersBlock(run: DeliveryRun): string {
  const lines = Object.entries(run.dispatcherCounters).map(
    ([name, value]) => `  ${name.replace(/^vowchat_|_total/g, '')} ${formatNumber(value)}`,
  );
  return ['dispatcher counters:', ...(lines.length > 0 ? lines : ['  (none)'])].join('\n');
}

function writeResults(config: BenchConfig, startedAt: Date, results: Results): string {
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'latest.json');
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  const targets = {
    ratioToLowerCeiling: TARGET_RATIO,
    deadEndpointCostBelow: TARGET_DEAD_COST,
    pacedP99BelowMs: TARGET_P99_MS,
  };
  writeFileSync(
    file,
    JSON.stringify({ startedAt: startedAt.toISOString(), machine, config, targets, results }, null, 2) + '\n',
  );
  return file;
}

main().then(
  // Every client is closed by now; exiting also ends anything a failed phase left behind.
  () => process.exit(0),
  (error: Error) => {
    process.stderr.write(
      error instanceof ConfigError
        ? `${error.message}\nSet the variables above (see BENCHMARK.md) and run again.\n`
        : `benchmark failed: ${error.stack ?? error.message}\n`,
    );
    process.exit(1);
  },
);
