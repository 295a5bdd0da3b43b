// A Postgres cluster of our own, for scenarios that stop Postgres: the shared cluster on
// 127.0.0.1:5432 serves everyone's tests and must never be stopped. initdb into a temp dir, run by
// the postgres user (root may not run postgres), on a free port, sockets in the temp dir, trust
// authentication on 127.0.0.1 only.
//
//   const pg = await startDisposablePostgres();
//   await pg.stop();   // pg_ctl -m immediate: a crash, as `pg_ctlcluster … stop -m immediate`
//   await pg.start();  // same port, same data
//   await pg.destroy();
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './names';
import { waitFor } from './wait-for';

const BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

export interface DisposablePostgres {
  readonly port: number;
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly dir: string;
  isRunning(): boolean;
  /** Crash-stops the server (`-m immediate`: no checkpoint, clients see their connections die). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data, and waits until it answers. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
  /** The tail of the server's log. */
  logTail(lines?: number): string;
}

export async function startDisposablePostgres(): Promise<DisposablePostgres> {
  if (!existsSync(join(BIN, 'initdb'))) throw new Error(`no initdb in ${BIN} (set PG_BIN_DIR)`);
  const dir = mkdtempSync(join(tmpdir(), 'vowchat-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
    chmodSync(dir, 0o700);
  }
  // As the postgres user when we are root; as ourselves otherwise.
  const asPostgres = (command: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);
  await asPostgres(join(BIN, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  const port = await freePort();
  let watchdog: ChildProcess | undefined;
  let running = false;
  const pgCtl = (args: string[]) => asPostgres(join(BIN, 'pg_ctl'), ['-D', data, ...args]);
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;

  const start = async () => {
    await pgCtl([
      '-l',
      logFile,
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      'start',
    ]);
    running = true;
    await waitFor(
      `the disposable Postgres on ${port} to answer`,
      async () => {
        const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
        try {
          await client.connect();
          await client.query('SELECT 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  };
  const stop = async () => {
    if (!running) return;
    await pgCtl(['-m', 'immediate', '-w', 'stop']);
    running = false;
  };

  await start();
  // If this process dies without destroying the cluster, a shell stops it and deletes its data.
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
${asRoot ? 'runuser -u postgres -- ' : ''}${join(BIN, 'pg_ctl')} -D "$1/data" -m immediate stop >/dev/null 2>&1
rm -rf "$1"`;
  watchdog = spawn('bash', ['-c', script, 'postgres-watchdog', dir], { detached: true, stdio: 'ignore' });
  watchdog.unref();

  return {
    port,
    url,
    dir,
    isRunning: () => running,
    stop,
    start,
    destroy: async () => {
      await stop().catch(() => undefined);
      watchdog?.kill('SIGKILL');
      watchdog = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
    logTail: (lines = 40) =>
      existsSync(logFile) ? readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '',
  };
}
