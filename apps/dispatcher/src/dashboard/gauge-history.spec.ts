import { GaugeHistory, type GaugeSample } from './gauge-history';

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function sample(at: number, values: Partial<GaugeSample> = {}): GaugeSample {
  return {
    at,
    consumer_lag_records: 0,
    consumer_lag_seconds: 0,
    retries_waiting: 0,
    retries_due: 0,
    retry_oldest_due_age_seconds: 0,
    projector_lag_records: 0,
    breakers_open: 0,
    webhooks_disabled: 0,
    ...values,
  };
}

describe('GaugeHistory', () => {
  it('gives samples as taken for steps under a minute', () => {
    const h = new GaugeHistory();
    for (let i = 0; i < 12; i++) h.add(sample(T0 + i * 10_000, { retries_waiting: i }));
    const points = h.points(T0 + 30_000, 10_000);
    expect(points.map((p) => p.retries_waiting)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(h.latest?.retries_waiting).toBe(11);
    expect(h.since).toBe(T0);
  });

  it('keeps the maximum of each gauge per minute, and per coarser step', () => {
    const h = new GaugeHistory();
    h.add(sample(T0, { breakers_open: 2, consumer_lag_records: 10 }));
    h.add(sample(T0 + 20_000, { breakers_open: 5, consumer_lag_records: 1 }));
    h.add(sample(T0 + MINUTE, { breakers_open: 1 }));
    h.add(sample(T0 + 11 * MINUTE, { webhooks_disabled: 3 }));
    expect(h.points(T0, MINUTE)).toEqual([
      sample(T0, { breakers_open: 5, consumer_lag_records: 10 }),
      sample(T0 + MINUTE, { breakers_open: 1 }),
      sample(T0 + 11 * MINUTE, { webhooks_disabled: 3 }),
    ]);
    expect(h.points(T0, 10 * MINUTE)).toEqual([
      sample(T0, { breakers_open: 5, consumer_lag_records: 10 }),
      sample(T0 + 10 * MINUTE, { webhooks_disabled: 3 }),
    ]);
  });

  it('forgets raw samples after rawMs and minutes after minutesMs', () => {
    const h = new GaugeHistory({ rawMs: 2 * MINUTE, minutesMs: 10 * MINUTE });
    for (let i = 0; i <= 20; i++) h.add(sample(T0 + i * MINUTE, { retries_due: i }));
    expect(h.points(0, 10_000).map((p) => p.retries_due)).toEqual([18, 19, 20]);
    expect(h.points(0, MINUTE).map((p) => p.retries_due)).toEqual([
      10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    ]);
    expect(h.since).toBe(T0 + 10 * MINUTE);
  });

  it('ignores a sample older than the last one', () => {
    const h = new GaugeHistory();
    h.add(sample(T0 + MINUTE, { retries_due: 1 }));
    h.add(sample(T0, { retries_due: 9 }));
    expect(h.points(0, 10_000)).toEqual([sample(T0 + MINUTE, { retries_due: 1 })]);
  });
});
