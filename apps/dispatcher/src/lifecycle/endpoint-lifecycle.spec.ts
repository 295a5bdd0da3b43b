import {
  HEALTHY,
  reduceLifecycle,
  type LifecycleInput,
  type LifecycleSettings,
  type LifecycleState,
  type LifecycleTransition,
} from './endpoint-lifecycle';

const settings: LifecycleSettings = {
  failingAfterAttempts: 4,
  disableAfterMs: 10_000,
  disableWarningMs: 3_000,
};
const WEBHOOK = '0190a1b2-0000-7000-8000-000000000001';
const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
const failed = (ms: number, statusCode: number | null = 500): LifecycleInput => ({
  kind: 'attempt',
  at: t(ms),
  delivered: false,
  statusCode,
  error: statusCode === null ? 'timeout' : 'http_5xx',
});
const delivered = (ms: number): LifecycleInput => ({
  kind: 'attempt',
  at: t(ms),
  delivered: true,
  statusCode: 200,
  error: null,
});

/** Folds inputs from `start`, collecting every transition and whether a disable came due. */
function run(inputs: LifecycleInput[], start: LifecycleState = HEALTHY) {
  let state = start;
  const transitions: LifecycleTransition[] = [];
  let disableDue = false;
  for (const input of inputs) {
    const step = reduceLifecycle(WEBHOOK, state, input, settings);
    state = step.state;
    transitions.push(...step.transitions);
    disableDue = step.disableDue;
  }
  return { state, transitions, types: transitions.map((x) => x.type), disableDue };
}

describe('reduceLifecycle', () => {
  it('stays healthy after 3 consecutive failures and turns failing on the 4th', () => {
    expect(run([failed(0), failed(1), failed(2)]).state).toMatchObject({
      state: 'healthy',
      consecutiveFailures: 3,
      failingSince: t(0),
    });
    const four = run([failed(0), failed(1), failed(2), failed(3, 503)]);
    expect(four.types).toEqual(['endpoint.failing']);
    expect(four.state).toMatchObject({ state: 'failing', failingSince: t(0), lastStatusCode: 503 });
    expect(four.transitions[0]).toMatchObject({ at: t(3), disableAt: t(10_000), reason: null });
  });

  it('starts counting again after a success in between', () => {
    const r = run([failed(0), failed(1), failed(2), delivered(3), failed(4), failed(5), failed(6)]);
    expect(r.types).toEqual([]);
    expect(r.state).toMatchObject({ state: 'healthy', consecutiveFailures: 3, failingSince: t(4) });
  });

  it('recovers on the next success, once', () => {
    const r = run([failed(0), failed(1), failed(2), failed(3), failed(4), delivered(5), delivered(6)]);
    expect(r.types).toEqual(['endpoint.failing', 'endpoint.recovered']);
    expect(r.state).toEqual(HEALTHY);
    expect(r.transitions[1]).toMatchObject({ at: t(5), disableAt: null });
  });

  it('warns before the disable and asks for the disable once the period has passed', () => {
    const failing = run([failed(0), failed(1), failed(2), failed(3)]).state;
    expect(run([{ kind: 'check', at: t(6_999) }], failing)).toMatchObject({ types: [], disableDue: false });
    const warned = run([{ kind: 'check', at: t(7_000) }], failing);
    expect(warned).toMatchObject({ types: ['endpoint.disabling_soon'], disableDue: false });
    expect(warned.state.state).toBe('disabling_soon');
    expect(warned.transitions[0].disableAt).toEqual(t(10_000));
    // Checked again: no second warning; then the disable is due, and stays due until it happens.
    expect(run([{ kind: 'check', at: t(8_000) }], warned.state)).toMatchObject({
      types: [],
      disableDue: false,
    });
    const due = run([{ kind: 'check', at: t(10_000) }], warned.state);
    expect(due).toMatchObject({ types: [], disableDue: true });
    expect(due.state.state).toBe('disabling_soon');
  });

  it('still warns when the first check comes after the disable time', () => {
    const failing = run([failed(0), failed(1), failed(2), failed(3)]).state;
    expect(run([{ kind: 'check', at: t(60_000) }], failing)).toMatchObject({
      types: ['endpoint.disabling_soon'],
      disableDue: true,
    });
  });

  it('checks the periods on failed attempts too', () => {
    const r = run([failed(0), failed(1), failed(2), failed(3), failed(7_500)]);
    expect(r.types).toEqual(['endpoint.failing', 'endpoint.disabling_soon']);
  });

  it('neither warns nor disables an endpoint below the failing threshold', () => {
    expect(run([failed(0), { kind: 'check', at: t(60_000) }])).toMatchObject({
      types: [],
      disableDue: false,
    });
  });

  it('a success resets the failing period', () => {
    const r = run([failed(0), failed(1), failed(2), failed(3), delivered(4), failed(5_000)]);
    expect(r.state.failingSince).toEqual(t(5_000));
    expect(run([{ kind: 'check', at: t(10_000) }], r.state)).toMatchObject({ types: [], disableDue: false });
  });

  it('records a disable once, with its reason, and ignores attempts until re-enabled', () => {
    const failing = run([failed(0), failed(1), failed(2), failed(3)]).state;
    const r = run(
      [
        { kind: 'disabled', at: t(10_000), reason: 'disabled automatically' },
        { kind: 'disabled', at: t(10_001), reason: 'again' },
        delivered(10_002),
        failed(10_003),
      ],
      failing,
    );
    expect(r.types).toEqual(['endpoint.disabled']);
    expect(r.transitions[0]).toMatchObject({ reason: 'disabled automatically', disableAt: null });
    expect(r.state).toMatchObject({ state: 'disabled', consecutiveFailures: 4, failingSince: t(0) });
  });

  it('a disable of a healthy webhook (the API, a 410) is a transition too', () => {
    expect(run([{ kind: 'disabled', at: t(0), reason: 'disabled through the API' }]).types).toEqual([
      'endpoint.disabled',
    ]);
  });

  it('starts afresh when re-enabled', () => {
    const disabled = run([
      failed(0),
      failed(1),
      failed(2),
      failed(3),
      { kind: 'disabled', at: t(4), reason: 'x' },
    ]);
    const r = run([{ kind: 'enabled', at: t(5) }, failed(6), failed(7), failed(8)], disabled.state);
    expect(r.types).toEqual([]);
    expect(r.state).toMatchObject({ state: 'healthy', consecutiveFailures: 3, failingSince: t(6) });
  });

  it('gives a transition decided twice the same id, and another episode another id', () => {
    const inputs = [failed(0), failed(1), failed(2), failed(3)];
    const [a, b] = [run(inputs), run(inputs)];
    expect(a.transitions[0].id).toBe(b.transitions[0].id);
    const later = run([failed(100), failed(101), failed(102), failed(103)]);
    expect(later.transitions[0].id).not.toBe(a.transitions[0].id);
    const other = reduceLifecycle('0190a1b2-0000-7000-8000-000000000002', HEALTHY, failed(0), {
      ...settings,
      failingAfterAttempts: 1,
    });
    const one = reduceLifecycle(WEBHOOK, HEALTHY, failed(0), { ...settings, failingAfterAttempts: 1 });
    expect(other.transitions[0].id).not.toBe(one.transitions[0].id);
  });
});
