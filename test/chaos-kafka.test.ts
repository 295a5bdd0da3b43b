/* eslint jest/expect-expect: ["error", { "assertFunctionNames": ["expect", "expectTargets"] }] */
// The short version of `npm run chaos`'s leader kill: a disposable three-broker cluster (RF 3,
// min.insync.replicas 2), 2,000 events, the leader of a partition SIGKILLed and restarted under
// them; nothing acknowledged lost, Postgres equal to the delivery topic, and every pair the receiver
// got recorded delivered on the delivery topic (kafkajs left records of a leader change out of a
// send: docs/decisions/0022-multi-broker-produce.md).
import { setProgressSink } from '../chaos/progress';
import { runLeaderKill } from '../chaos/scenarios/leader-kill';
import { CORE_TARGETS, expectTargets, progressToTestLog } from './support/chaos-targets';

describe('chaos (short): Kafka', () => {
  let restoreSink: (line: string) => void;
  beforeAll(() => void (restoreSink = setProgressSink(progressToTestLog())));
  afterAll(() => void setProgressSink(restoreSink));

  it('the partition leader SIGKILLed on a 3-broker cluster under 2,000 events', async () => {
    const result = await runLeaderKill({ events: 2_000, perSecond: 400, downMs: 3_000 });
    expectTargets(result, [...CORE_TARGETS, 'every pair received is recorded delivered']);
  }, 150_000);
});
