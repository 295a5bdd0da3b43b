/* eslint jest/expect-expect: ["error", { "assertFunctionNames": ["expect", "expectTargets"] }] */
// The short version of chaos/scenarios/churn.ts: three dispatcher instances started together on an
// empty schema (they migrate one at a time), members leaving and joining under load, one SIGKILLed
// while it holds leased retries. Its own file, so jest runs it beside the other chaos tests.
import { setProgressSink } from '../chaos/progress';
import { runChurn } from '../chaos/scenarios/churn';
import { CORE_TARGETS, expectTargets, progressToTestLog } from './support/chaos-targets';

describe('chaos (short): instance churn', () => {
  let restoreSink: (line: string) => void;
  beforeAll(() => void (restoreSink = setProgressSink(progressToTestLog())));
  afterAll(() => void setProgressSink(restoreSink));

  it('loses nothing while three instances rebalance and one dies holding leased retries', async () => {
    const result = await runChurn({ events: 4_000, perSecond: 400 });
    expectTargets(result, [...CORE_TARGETS, 'every pair received is recorded delivered']);
  }, 240_000);
});
