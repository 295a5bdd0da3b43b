import {
  bucketStarts,
  parseAccountHealthQuery,
  parseEndpointHealthQuery,
  parseOperatorHealthQuery,
  planSeries,
  planWindow,
  windowRanges,
} from './health-window';

const NOW = new Date('2026-03-10T12:34:30.000Z');

describe('planWindow', () => {
  it.each([
    ['5m', 'endpoint_health_minute', '2026-03-10T12:30:00.000Z', 270],
    ['1h', 'endpoint_health_minute', '2026-03-10T11:35:00.000Z', 3_570],
    ['24h', 'endpoint_health_minute', '2026-03-09T12:35:00.000Z', 86_370],
    ['7d', 'endpoint_health_hour', '2026-03-03T13:00:00.000Z', 603_270],
  ] as const)('reads %s from %s, the current bucket included', (window, table, from, span) => {
    const plan = planWindow(window, NOW);
    expect(plan).toMatchObject({ window, table, to: NOW, spanSeconds: span });
    expect(plan.from.toISOString()).toBe(from);
  });

  it('counts exactly the window length of buckets', () => {
    expect(bucketStarts(planWindow('5m', NOW))).toHaveLength(5);
    expect(bucketStarts(planWindow('1h', NOW))).toHaveLength(60);
    expect(bucketStarts(planWindow('7d', NOW))).toHaveLength(168);
  });
});

describe('planSeries', () => {
  it('reads 1m points from minute rows and 1h points from hour rows', () => {
    const minutes = planSeries('1h', '1m', NOW);
    expect(minutes.table).toBe('endpoint_health_minute');
    expect(
      bucketStarts(minutes)
        .map((d) => d.toISOString())
        .slice(-2),
    ).toEqual(['2026-03-10T12:33:00.000Z', '2026-03-10T12:34:00.000Z']);
    const hours = planSeries('24h', '1h', NOW);
    expect(hours.table).toBe('endpoint_health_hour');
    expect(hours.from.toISOString()).toBe('2026-03-09T13:00:00.000Z');
    expect(bucketStarts(hours)).toHaveLength(24);
  });
});

describe('parseEndpointHealthQuery', () => {
  it('defaults to 1h without a series', () => {
    expect(parseEndpointHealthQuery({})).toEqual({ ok: true, value: { window: '1h', series: null } });
  });

  it('reads window and series', () => {
    expect(parseEndpointHealthQuery({ window: '7d', series: '1h' })).toEqual({
      ok: true,
      value: { window: '7d', series: '1h' },
    });
  });

  it.each([
    [{ window: '2h' }, 'window', 'window must be one of 5m, 1h, 24h, 7d, got "2h"'],
    [{ series: '5m' }, 'series', 'series must be one of 1m, 1h, got "5m"'],
    [{ window: '7d', series: '1m' }, 'series', 'series=1m goes up to window=24h'],
    [{ window: '5m', series: '1h' }, 'series', 'series=1h needs a window of 1h or more'],
    [{ window: ['1h', '5m'] }, 'window', 'window may be given once'],
    [{ since: 'x' }, 'since', 'unknown query parameter "since"; this route takes window, series'],
  ])('refuses %p naming the field', (query, field, message) => {
    const parsed = parseEndpointHealthQuery(query);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems[0]).toEqual({ field, message: expect.stringContaining(message) });
  });

  it('lists every problem at once', () => {
    const parsed = parseEndpointHealthQuery({ window: 'x', series: 'y' });
    expect(!parsed.ok && parsed.problems.map((p) => p.field)).toEqual(['window', 'series']);
  });
});

describe('parseAccountHealthQuery', () => {
  it('takes a window only', () => {
    expect(parseAccountHealthQuery({ window: '24h' })).toEqual({ ok: true, value: { window: '24h' } });
    expect(parseAccountHealthQuery({ series: '1m' }).ok).toBe(false);
  });
});

describe('parseOperatorHealthQuery', () => {
  it('defaults to 20 endpoints over 1h', () => {
    expect(parseOperatorHealthQuery({})).toEqual({ ok: true, value: { window: '1h', limit: 20 } });
    expect(parseOperatorHealthQuery({ limit: '200', window: '5m' })).toEqual({
      ok: true,
      value: { window: '5m', limit: 200 },
    });
  });

  it.each(['0', '201', '1.5', 'ten'])('refuses limit=%s', (limit) => {
    const parsed = parseOperatorHealthQuery({ limit });
    expect(!parsed.ok && parsed.problems).toEqual([
      { field: 'limit', message: `limit must be an integer from 1 to 200, got "${limit}"` },
    ]);
  });
});

describe('windowRanges', () => {
  const iso = (ranges: { table: string; from: Date; until: Date }[]) =>
    ranges.map((r) => [r.table, r.from.toISOString(), r.until.toISOString()]);

  it('reads the whole hours of a 24 h window from hour rows, its edges from minute rows', () => {
    const { finished, current } = windowRanges(planWindow('24h', NOW));
    expect(iso(finished)).toEqual([
      ['endpoint_health_hour', '2026-03-09T13:00:00.000Z', '2026-03-10T12:00:00.000Z'],
    ]);
    expect(iso(current)).toEqual([
      ['endpoint_health_minute', '2026-03-09T12:35:00.000Z', '2026-03-09T13:00:00.000Z'],
      ['endpoint_health_minute', '2026-03-10T12:00:00.000Z', '2026-03-10T12:34:30.001Z'],
    ]);
  });

  it('has no leading edge when the window starts on the hour', () => {
    const { finished, current } = windowRanges(planWindow('24h', new Date('2026-03-10T12:59:10.000Z')));
    expect(iso(finished)).toEqual([
      ['endpoint_health_hour', '2026-03-09T13:00:00.000Z', '2026-03-10T12:00:00.000Z'],
    ]);
    expect(iso(current)).toEqual([
      ['endpoint_health_minute', '2026-03-10T12:00:00.000Z', '2026-03-10T12:59:10.001Z'],
    ]);
  });

  it('splits a 7 d window into the finished hours and the current one', () => {
    const { finished, current } = windowRanges(planWindow('7d', NOW));
    expect(iso(finished)).toEqual([
      ['endpoint_health_hour', '2026-03-03T13:00:00.000Z', '2026-03-10T12:00:00.000Z'],
    ]);
    expect(iso(current)).toEqual([
      ['endpoint_health_hour', '2026-03-10T12:00:00.000Z', '2026-03-10T12:34:30.001Z'],
    ]);
  });

  it.each(['5m', '1h'] as const)('reads a %s window from minute rows alone (it holds no whole hour)', (w) => {
    const plan = planWindow(w, NOW);
    expect(windowRanges(plan)).toEqual({
      finished: [],
      current: [{ table: 'endpoint_health_minute', from: plan.from, until: new Date(NOW.getTime() + 1) }],
    });
  });
});
