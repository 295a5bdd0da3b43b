import { operationalOutcome } from './operational-outcome';

const now = new Date('2026-01-01T00:00:00.000Z');
const schedule = [1_000, 2_000];
const half = () => 0.5;

describe('operationalOutcome', () => {
  it('is delivered on 2xx and failed, not retried, on a refusal or 410', () => {
    expect(operationalOutcome({ kind: 'delivered' }, 1, schedule, half, now)).toEqual({
      status: 'delivered',
    });
    expect(operationalOutcome({ kind: 'fail', reason: 'http_4xx' }, 1, schedule, half, now)).toEqual({
      status: 'failed',
      reason: 'http_4xx',
    });
    expect(operationalOutcome({ kind: 'gone', reason: 'gone' }, 1, schedule, half, now).status).toBe(
      'failed',
    );
  });

  it('retries on the delivery schedule, then is dead', () => {
    const retry = { kind: 'retry', reason: 'http_5xx', retryAfterMs: null } as const;
    expect(operationalOutcome(retry, 1, schedule, half, now)).toEqual({
      status: 'pending',
      reason: 'http_5xx',
      dueAt: new Date(now.getTime() + 1_000),
    });
    expect(operationalOutcome(retry, 2, schedule, half, now)).toMatchObject({ status: 'pending' });
    expect(operationalOutcome(retry, 3, schedule, half, now)).toEqual({ status: 'dead', reason: 'http_5xx' });
  });
});
