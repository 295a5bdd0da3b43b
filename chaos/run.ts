// `npm run chaos`: fault scenarios against real processes (issue 13). Each prints a table (events
// published and acknowledged, (event, webhook) pairs expected, delivered, lost, duplicated, time to
// recover, Postgres against the delivery topic) and its targets, met or missed; a summary follows;
// the exit code is 1 when any target is missed. Results also go to chaos/results/latest.json.
//
//   npm run chaos                          # every scenario at scale 1
//   npm run chaos -- leader-kill churn     # some of them
//   npm run chaos -- --scale 0.2           # fewer events (CHAOS_SCALE); --soak-scale for the soak
//   npm run chaos -- --list
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fmt } from './chaos-system';
import { snapshotDist } from './dist-snapshot';
import { log } from './progress';
import { formatResult, type Scenario, type ScenarioResult } from './result';
import { brokerRestart } from './scenarios/broker-restart';
import { churn } from './scenarios/churn';
import { dispatcherKills } from './scenarios/dispatcher-kills';
import { leaderKill } from './scenarios/leader-kill';
import { postgresDownAtStart } from './scenarios/postgres-down-at-start';
import { postgresOutage } from './scenarios/postgres-outage';
import { receiverDown } from './scenarios/receiver-down';
import { soak } from './scenarios/soak';

export const SCENARIOS: Scenario[] = [
  leaderKill,
  brokerRestart,
  postgresOutage,
  postgresDownAtStart,
  dispatcherKills,
  churn,
  receiverDown,
  soak,
];

interface Args {
  names: string[];
  scale: number;
  soakScale: number;
  list: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    names: [],
    scale: Number(process.env.CHAOS_SCALE ?? 1),
    soakScale: Number(process.env.CHAOS_SOAK_SCALE ?? process.env.CHAOS_SCALE ?? 1),
    list: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--list') args.list = true;
    else if (a === '--scale') args.scale = Number(argv[++i]);
    else if (a === '--soak-scale') args.soakScale = Number(argv[++i]);
    else if (a.startsWith('--')) throw new Error(`unknown option ${a} (--scale N, --soak-scale N, --list)`);
    else args.names.push(a);
  }
  for (const [name, v] of [
    ['scale', args.scale],
    ['soak scale', args.soakScale],
  ] as const)
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
  const unknown = args.names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0)
    throw new Error(
      `unknown scenario(s) ${unknown.join(', ')}; choose among ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(24)} ${s.title}\n`);
    return 0;
  }
  const chosen = args.names.length > 0 ? SCENARIOS.filter((s) => args.names.includes(s.name)) : SCENARIOS;
  const startedAt = new Date();
  const removeSnapshot = snapshotDist();
  process.on('exit', removeSnapshot);
  log(
    `chaos: ${chosen.map((s) => s.name).join(', ')}; scale ${args.scale}, soak scale ${args.soakScale}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores`,
  );
  const results: ScenarioResult[] = [];
  for (const scenario of chosen) {
    log(`chaos: ${scenario.name}: ${scenario.title}`);
    const result = await scenario.run({ scale: scenario.name === 'soak' ? args.soakScale : args.scale });
    results.push(result);
    process.stdout.write(`\n${formatResult(result)}\n\n`);
  }
  const missed = results.filter((r) => r.checks.some((c) => !c.ok));
  process.stdout.write('summary:\n');
  for (const r of results) {
    const failed = r.checks.filter((c) => !c.ok);
    process.stdout.write(
      `  ${failed.length === 0 ? 'ok    ' : 'MISSED'}  ${r.name.padEnd(24)} ${fmt(r.seconds)} s${failed.length ? `  (${failed.map((c) => c.target).join('; ')})` : ''}\n`,
    );
  }
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'latest.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        scale: args.scale,
        soakScale: args.soakScale,
        cores: cpus().length,
        results,
      },
      null,
      2,
    ) + '\n',
  );
  log(
    `chaos: done in ${fmt((Date.now() - startedAt.getTime()) / 1000)} s; ${missed.length} scenario(s) missed a target; results in ${file}`,
  );
  return missed.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`chaos failed: ${error.stack ?? error.message}\n`);
      process.exit(2);
    },
  );
}
