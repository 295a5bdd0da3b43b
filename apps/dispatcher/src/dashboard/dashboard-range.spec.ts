import { parseRangeQuery, planRange } from './dashboard-range';

const NOW = new Date('2025-01-01T12:34:56.000Z');

describe('planRange', () => {
  it('reads 15 minute buckets for 15m, the current one included, with the 1h window beside it', () => {
    const plan = planRange('15m', NOW);
    expect(plan).toMatchObject({ window: '1h', table: 'endpoint_health_minute', stepMs: 60_000 });
    expect(plan.from.toISOString()).toBe('2025-01-01T12:20:00.000Z');
    expect(plan.spanSeconds).toBe(14 * 60 + 56);
  });

  it('reads minute rows for 24h and hour rows for 7d', () => {
    expect(planRange('24h', NOW)).toMatchObject({ window: '24h', table: 'endpoint_health_minute' });
    const week = planRange('7d', NOW);
    expect(week).toMatchObject({ window: '7d', table: 'endpoint_health_hour', stepMs: 3_600_000 });
    expect(week.from.toISOString()).toBe('2024-12-25T13:00:00.000Z');
  });
});

describe('parseRangeQuery', () => {
  it('takes a known range and defaults to 1h', () => {
    expect(parseRangeQuery({ range: '7d' })).toEqual({ ok: true, value: '7d' });
    expect(parseRangeQuery({})).toEqual({ ok: true, value: '1h' });
  });

  it('names a bad range and unknown parameters', () => {
    expect(parseRangeQuery({ range: '5m', window: '1h' })).toEqual({
      ok: false,
      problems: [
        { field: 'window', message: 'unknown query parameter; the only one is range' },
        { field: 'range', message: 'must be one of 15m, 1h, 24h, 7d' },
      ],
    });
  });
});
