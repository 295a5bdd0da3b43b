/* eslint jest/expect-expect: ["error", { "assertFunctionNames": ["expect", "expectTargets"] }] */
// The short version of chaos/scenarios/postgres-down-at-start.ts: a dispatcher restarted while
// Postgres (a disposable cluster) is down starts, loads its webhooks from the compacted topic,
// delivers to healthy endpoints during the outage, and once Postgres is back catches up the retry
// store and the projection. Its own file, so jest runs it beside the other chaos tests.
import { setProgressSink } from '../chaos/progress';
import { runPostgresDownAtStart } from '../chaos/scenarios/postgres-down-at-start';
import { CORE_TARGETS, expectTargets, progressToTestLog } from './support/chaos-targets';

describe('chaos (short): Postgres down when the dispatcher starts', () => {
  let restoreSink: (line: string) => void;
  beforeAll(() => void (restoreSink = setProgressSink(progressToTestLog())));
  afterAll(() => void setProgressSink(restoreSink));

  it('starts, delivers to healthy endpoints meanwhile, and catches up once Postgres is back', async () => {
    const result = await runPostgresDownAtStart({ events: 1_500, perSecond: 150, downMs: 8_000 });
    expectTargets(result, [
      ...CORE_TARGETS,
      'duplicates < 1 %',
      'every pair received is recorded delivered',
      'the dispatcher starts while Postgres is down',
      'the retry store drains',
      'readiness reports the database',
      'the API answers 503 database_unavailable',
      'metrics are scraped meanwhile',
      'it delivers to healthy endpoints while Postgres is down',
    ]);
  }, 150_000);
});
