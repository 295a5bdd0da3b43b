/* eslint jest/expect-expect: ["error", { "assertFunctionNames": ["expect", "expectTargets"] }] */
// The short version of `npm run chaos` (chaos/): a few fault scenarios at small scale, on real
// processes, each asserting that nothing acknowledged is lost and that Postgres equals the delivery
// topic (the leader kill on three brokers is in chaos-kafka.test.ts and the start without Postgres
// in chaos-postgres-start.test.ts, so they run side by side).
import { setProgressSink } from '../chaos/progress';
import { runDispatcherKills } from '../chaos/scenarios/dispatcher-kills';
import { runPostgresOutage } from '../chaos/scenarios/postgres-outage';
import { runReceiverDown } from '../chaos/scenarios/receiver-down';
import { CORE_TARGETS, expectTargets, progressToTestLog } from './support/chaos-targets';

describe('chaos (short)', () => {
  let restoreSink: (line: string) => void;
  beforeAll(() => void (restoreSink = setProgressSink(progressToTestLog())));
  afterAll(() => void setProgressSink(restoreSink));

  it('every endpoint down for 5 s under load', async () => {
    const result = await runReceiverDown({ perSecond: 300, beforeMs: 3_000, downMs: 5_000, afterMs: 2_000 });
    expectTargets(result, [...CORE_TARGETS, 'duplicates < 1 %']);
  }, 120_000);

  it('Postgres (a disposable cluster) crash-stopped for 5 s under load', async () => {
    const result = await runPostgresOutage({
      perSecond: 200,
      beforeMs: 3_000,
      outageMs: 5_000,
      afterMs: 2_000,
    });
    expectTargets(result, [
      ...CORE_TARGETS,
      'the dispatcher survives',
      'the retry store drains',
      'readiness reports',
    ]);
  }, 150_000);

  it('the dispatcher SIGKILLed twice under 3,000 events', async () => {
    const result = await runDispatcherKills({ events: 3_000, perSecond: 1_000, kills: 2 });
    expectTargets(result, CORE_TARGETS);
  }, 150_000);
});
