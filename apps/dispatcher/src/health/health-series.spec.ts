import { emptyTotals } from './endpoint-health';
import { seriesPoints } from './health-series';
import { planSeries } from './health-window';

describe('seriesPoints', () => {
  const plan = planSeries('5m', '1m', new Date('2026-03-10T12:04:10Z'));

  it('gives one point per bucket, oldest first, gaps filled with zeros', () => {
    const points = seriesPoints(plan, [
      {
        bucket: new Date('2026-03-10T12:01:00Z'),
        totals: {
          ...emptyTotals(),
          attempts: 4,
          delivered: 3,
          failed: 1,
          durationBuckets: [4],
          durationMaxMs: 8,
        },
      },
    ]);
    expect(points.map((p) => p.at)).toEqual([
      '2026-03-10T12:00:00.000Z',
      '2026-03-10T12:01:00.000Z',
      '2026-03-10T12:02:00.000Z',
      '2026-03-10T12:03:00.000Z',
      '2026-03-10T12:04:00.000Z',
    ]);
    expect(points[1]).toMatchObject({ attempts: 4, delivered: 3, failed: 1, success_ratio: 0.75 });
    expect(points[1].attempt_duration_ms.p50).toBe(5);
    expect(points[0]).toMatchObject({ attempts: 0, delivered: 0, success_ratio: null });
    expect(points[0].attempt_duration_ms).toEqual({ p50: null, p95: null, p99: null });
  });
});
