import type { DataSource } from 'typeorm';
import { JsonLogger } from '@vowchat/platform';
import { DatabaseConnection } from './database-connection';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** A DataSource stand-in whose initialize fails `failures` times first (the connection logic only). */
function dataSourceFailing(failures: number, error: () => Error = refused) {
  const state = { isInitialized: false, attempts: 0, destroyed: false };
  const dataSource = {
    get isInitialized() {
      return state.isInitialized;
    },
    initialize: jest.fn(async () => {
      state.attempts++;
      if (state.attempts <= failures) throw error();
      state.isInitialized = true;
    }),
    destroy: jest.fn(async () => {
      state.destroyed = true;
      state.isInitialized = false;
    }),
  };
  return { dataSource: dataSource as unknown as DataSource, state };
}

// Warnings and info only: nothing reaches the test output.
const quiet = new JsonLogger('test', 'error');

function connection(dataSource: DataSource, migrate = jest.fn(async () => ['m1'])) {
  return new DatabaseConnection(dataSource, {
    migrate,
    log: quiet,
    retryMs: { first: 1, longest: 4 },
    sleep: () => new Promise((resolve) => setImmediate(resolve)),
  });
}

describe('DatabaseConnection', () => {
  it('connects and migrates at boot when Postgres answers, and runs boot work at once', async () => {
    const { dataSource } = dataSourceFailing(0);
    const migrate = jest.fn(async () => []);
    const db = connection(dataSource, migrate);
    await expect(db.connectAtBoot()).resolves.toBe(true);
    expect(db.ready).toBe(true);
    expect(migrate).toHaveBeenCalledTimes(1);
    const work = jest.fn(async () => undefined);
    await db.whenReadyRun('work', work);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('starts without an unreachable Postgres, connects in the background, then runs the waiting work', async () => {
    const { dataSource, state } = dataSourceFailing(3);
    const db = connection(dataSource);
    await expect(db.connectAtBoot()).resolves.toBe(false);
    expect(db.ready).toBe(false);
    const work = jest.fn(async () => undefined);
    await db.whenReadyRun('work', work);
    expect(work).not.toHaveBeenCalled();
    await db.whenReady();
    expect(state.attempts).toBe(4);
    await new Promise((resolve) => setImmediate(resolve));
    expect(work).toHaveBeenCalledTimes(1);
    await db.close();
    expect(state.destroyed).toBe(true);
  });

  it('retries waiting work that fails until it succeeds', async () => {
    const { dataSource } = dataSourceFailing(1);
    const db = connection(dataSource);
    await db.connectAtBoot();
    let calls = 0;
    const done = new Promise<void>(
      (resolve) =>
        void db.whenReadyRun('flaky work', async () => {
          if (++calls < 3) throw new Error('Connection terminated unexpectedly');
          resolve();
        }),
    );
    await done;
    expect(calls).toBe(3);
    await db.close();
  });

  it('fails the boot on an error that is the configuration’s (no such database)', async () => {
    const { dataSource } = dataSourceFailing(1, () =>
      Object.assign(new Error('database "nope" does not exist'), { code: '3D000' }),
    );
    await expect(connection(dataSource).connectAtBoot()).rejects.toThrow('database "nope" does not exist');
  });

  it('stops trying once closed', async () => {
    const { dataSource, state } = dataSourceFailing(Number.MAX_SAFE_INTEGER);
    const db = new DatabaseConnection(dataSource, {
      migrate: async () => [],
      log: quiet,
      retryMs: { first: 60_000, longest: 60_000 },
    });
    await db.connectAtBoot();
    await db.close();
    expect(state.attempts).toBe(1);
    expect(db.ready).toBe(false);
  });
});
