// The benchmark's sizes and switches, read once from the environment. The defaults keep a whole
// run within about seven minutes on a 2-core machine.
import { EnvReader, type Env } from '@vowchat/platform';

export const SCENARIOS = [
  'fast',
  'slow',
  'dead',
  'paced',
  'health-api',
  'publishing',
  'api-end-to-end',
  'observability-overhead',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchConfig {
  scenarios: ScenarioName[];
  /** Accounts, each with one webhook; events are spread over them round-robin. */
  accounts: number;
  /** Pre-loaded events for the fast-receiver and dead-endpoint scenarios. */
  fastEvents: number;
  /** Pre-loaded events for the 100 ms-receiver scenario. */
  slowEvents: number;
  /** How long the slow receivers take to answer. */
  slowReceiverMs: number;
  pacedRate: number;
  pacedSeconds: number;
  /** Seconds at the paced rate before measuring (0: none). */
  pacedWarmUpSeconds: number;
  /** Rounds of the fast and dead-endpoint scenarios (alternating); the summary takes medians. */
  repeats: number;
  /** Dispatcher processes sharing the work as one consumer group (a deployment's instances on this host). */
  dispatchers: number;
  /** Partitions of each topic: bounds how evenly the dispatchers share the work. */
  partitions: number;
  /** Concurrent requests of the raw undici ceiling. */
  undiciConcurrency: number;
  /** Longest wait for any one phase (deliveries, ceilings) before it is reported as incomplete. */
  phaseDeadlineMs: number;
  /** Extra dispatcher variables (tuning knobs), "NAME=value,NAME=value". */
  dispatcherEnv: Record<string, string>;
  /** When set, each dispatcher writes a V8 CPU profile here (node --cpu-prof). */
  cpuProfileDir: string | null;
}

export function loadBenchConfig(env: Env = process.env): BenchConfig {
  const r = new EnvReader(env);
  const scenarios = r.list('BENCH_SCENARIOS', [...SCENARIOS]);
  const unknown = scenarios.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0)
    r.problem(`BENCH_SCENARIOS lists ${unknown.join(', ')}; choose among ${SCENARIOS.join(', ')}`);
  const dispatcherEnv: Record<string, string> = {};
  for (const pair of r.list('BENCH_DISPATCHER_ENV', [])) {
    const eq = pair.indexOf('=');
    if (eq <= 0) r.problem(`BENCH_DISPATCHER_ENV entries must be NAME=value, got "${pair}"`);
    else dispatcherEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const config: BenchConfig = {
    scenarios: scenarios as ScenarioName[],
    accounts: r.int('BENCH_ACCOUNTS', 100, { min: 2, max: 10_000 }),
    fastEvents: r.int('BENCH_FAST_EVENTS', 60_000, { min: 100, max: 10_000_000 }),
    slowEvents: r.int('BENCH_SLOW_EVENTS', 10_000, { min: 100, max: 10_000_000 }),
    slowReceiverMs: r.int('BENCH_SLOW_RECEIVER_MS', 100, { min: 1, max: 4_000 }),
    pacedRate: r.int('BENCH_PACED_RATE', 1_000, { min: 1, max: 100_000 }),
    pacedSeconds: r.int('BENCH_PACED_SECONDS', 10, { min: 1, max: 600 }),
    pacedWarmUpSeconds: r.int('BENCH_PACED_WARMUP_SECONDS', 2, { min: 0, max: 600 }),
    repeats: r.int('BENCH_REPEATS', 3, { min: 1, max: 50 }),
    dispatchers: r.int('BENCH_DISPATCHERS', 1, { min: 1, max: 64 }),
    partitions: r.int('BENCH_PARTITIONS', 6, { min: 1, max: 1_000 }),
    undiciConcurrency: r.int('BENCH_UNDICI_CONCURRENCY', 100, { min: 1, max: 10_000 }),
    phaseDeadlineMs: r.int('BENCH_PHASE_DEADLINE_S', 180, { min: 5, max: 3_600 }) * 1000,
    dispatcherEnv,
    cpuProfileDir: env.BENCH_CPU_PROF_DIR || null,
  };
  r.done();
  return config;
}
