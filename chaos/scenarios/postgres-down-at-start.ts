// Postgres down when the dispatcher starts (a restart during an outage). The issue's target: it
// starts (the registry from its compacted topic), delivers, and catches up the retry store and the
// projection once Postgres is back. Slot 1 of every account answers 503 for the first half of the
// outage, so retries wait to be written meanwhile; slot 0 is healthy throughout and must be
// delivered to while Postgres is still down.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import packageJson from '../../package.json';
import { freePort } from '../../test/support/names';
import { api } from '../../test/support/system';
import { distDir } from '../dist-snapshot';
import { startDisposablePostgres } from '../../test/support/disposable-postgres';
import { KAFKA_BROKERS } from '../../test/support/infra';
import { fmt, sleep, type ChaosSystem } from '../chaos-system';
import { log } from '../progress';
import { deliveryFigures, type Check, type Scenario, type ScenarioResult } from '../result';
import { withSystem } from './common';

export interface PostgresDownAtStartParams {
  events: number;
  perSecond: number;
  /** How long Postgres stays down after the dispatcher was started. */
  downMs: number;
}

const NAME = 'postgres-down-at-start';
const TITLE = 'the dispatcher started while Postgres is down';

export async function runPostgresDownAtStart(p: PostgresDownAtStartParams): Promise<ScenarioResult> {
  const started = Date.now();
  const pg = await startDisposablePostgres();
  try {
    return await withSystem(
      {
        scenario: NAME,
        infra: { brokers: KAFKA_BROKERS, replicationFactor: 1, databaseUrl: pg.url },
        accounts: 10,
        webhooksPerAccount: 2,
        capacity: p.events,
        keepSlotArrivals: true,
      },
      async (system) => {
        // Webhooks registered while everything runs, then the dispatcher stopped.
        await system.startDispatcher(0);
        await system.createWebhooks();
        await system.killDispatcher(0, 'SIGTERM');
        await system.connectPublisher();
        log(`${NAME}: stopping Postgres, then starting the dispatcher`);
        await pg.stop();
        const at = Date.now();
        const attempt = await tryToStart(system);
        const startMs = attempt.ms;
        const startError = attempt.error;
        const rows: [string, string][] = [];
        const checks: Check[] = [];
        if (startError !== null) {
          log(`${NAME}: the dispatcher did not start: ${startError.slice(0, 200)}`);
          const failed =
            /"msg":"failed to start","error":"([^"]*)"/.exec(startError)?.[1] ?? startError.slice(0, 200);
          const exit = attempt.exited
            ? `exit code ${attempt.exitCode} after ${fmt(startMs / 1000, 1)} s: `
            : '';
          rows.push(
            ['dispatcher started', 'no'],
            [attempt.exited ? 'exited after' : 'not serving after', `${fmt(startMs / 1000, 1)} s`],
            ['its error', failed],
          );
          checks.push({
            target: 'the dispatcher starts while Postgres is down',
            ok: false,
            detail: `${exit}${failed}`,
          });
          await pg.start();
          return {
            name: NAME,
            title: TITLE,
            seconds: (Date.now() - started) / 1000,
            rows,
            checks,
            notes: [],
          };
        }
        const dispatcher = await system.startDispatcher(0);
        // What an operator sees meanwhile: not ready (naming the database), the API answering 503.
        const ready = await fetch(`${dispatcher.baseUrl}/health/ready`);
        const readyBody = (await ready.json()) as { error?: Record<string, unknown> };
        const metrics = await fetch(`${dispatcher.baseUrl}/metrics`);
        const listed = await api<{ error?: string }>(
          dispatcher.baseUrl,
          'GET',
          `/api/v1/accounts/${system.accountId(0)}/webhooks`,
        );
        system.behaveSlot(1, { kind: 'status', code: 503 });
        log(
          `${NAME}: the dispatcher started without Postgres; publishing ${fmt(p.events)} events; slot 1 answers 503`,
        );
        const publishing = system.publishPaced({ count: p.events, perSecond: p.perSecond });
        await sleep(p.downMs / 2);
        log(`${NAME}: slot 1 recovers while Postgres is still down`);
        system.behaveSlot(1, { kind: 'ok' });
        await sleep(p.downMs / 2);
        const deliveredWhileDown = system.tally.delivered;
        const healthyWhileDown = system.tally.slotArrivals[0].filter((x) => x >= at).length;
        await pg.start();
        const clearedAt = Date.now();
        await publishing;
        await system.waitForDelivery(NAME);
        const projection = await system.compareProjection();
        const figures = deliveryFigures(system, projection, {
          faults: [{ label: 'Postgres down', at, clearedAt }],
        });
        figures.rows.push(
          ['dispatcher started', `yes, in ${fmt(startMs / 1000, 1)} s`],
          [
            'pairs delivered before Postgres came back (slot 0, healthy)',
            `${fmt(deliveredWhileDown)} (${fmt(healthyWhileDown)})`,
          ],
        );
        figures.checks.push(
          {
            target: 'the dispatcher starts while Postgres is down',
            ok: true,
            detail: `${fmt(startMs / 1000, 1)} s`,
          },
          {
            target: 'readiness reports the database while it is down',
            ok: ready.status === 503 && Object.keys(readyBody.error ?? {}).includes('postgres'),
            detail: `${ready.status}, failing: ${Object.keys(readyBody.error ?? {}).join(', ') || 'none'}`,
          },
          {
            target: 'metrics are scraped meanwhile',
            ok: metrics.status === 200,
            detail: `GET /metrics ${metrics.status}`,
          },
          {
            target: 'the API answers 503 database_unavailable meanwhile',
            ok: listed.status === 503 && listed.body.error === 'database_unavailable',
            detail: `${listed.status} ${listed.body.error ?? ''}`,
          },
          {
            target: 'the retry store drains',
            ok: projection.retriesLeft === 0,
            detail: `${fmt(projection.retriesLeft)} rows left`,
          },
          {
            target: 'it delivers to healthy endpoints while Postgres is down',
            ok: healthyWhileDown > 0,
            detail: `${fmt(healthyWhileDown)} slot-0 pairs`,
          },
        );
        return { name: NAME, title: TITLE, seconds: (Date.now() - started) / 1000, ...figures, notes: [] };
      },
      { title: TITLE },
    );
  } finally {
    await pg.destroy();
  }
}

/**
 * Spawns a dispatcher from dist/ and waits (60 s at most) until it serves /health or exits, timing
 * either: spawnDispatcher would only say that it timed out.
 */
async function tryToStart(
  system: ChaosSystem,
): Promise<{ ms: number; exited: boolean; exitCode: number | null; error: string | null }> {
  const started = Date.now();
  const [, ...args] = packageJson.scripts['start:dispatcher'].split(' ');
  const port = await freePort();
  const main = join(distDir(), 'apps/dispatcher/src/main.js');
  const child = spawn(
    process.execPath,
    args.map((a) => (a.endsWith('dispatcher/src/main.js') ? main : a)),
    {
      cwd: join(__dirname, '../..'),
      env: { ...process.env, ...system.dispatcherEnvironment(), PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    while (Date.now() - started < 60_000) {
      if (child.exitCode !== null)
        return {
          ms: Date.now() - started,
          exited: true,
          exitCode: child.exitCode,
          error: stderr || 'exited',
        };
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return { ms: Date.now() - started, exited: false, exitCode: null, error: null };
      await sleep(100);
    }
    return {
      ms: Date.now() - started,
      exited: false,
      exitCode: null,
      error: 'did not serve /health within 60 s',
    };
  } finally {
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  }
}

export const postgresDownAtStart: Scenario = {
  name: NAME,
  title: TITLE,
  run: () => runPostgresDownAtStart({ events: 4_000, perSecond: 200, downMs: 20_000 }),
};
