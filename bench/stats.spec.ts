import {
  formatNumber,
  formatTable,
  latencyBySecond,
  median,
  percentile,
  ratePerSecond,
  ratio,
  summarizeLatencies,
} from './stats';

describe('ratePerSecond', () => {
  it('counts intervals between the first and the last event', () => {
    expect(ratePerSecond(11, 1_000, 2_000)).toBe(10);
  });

  it('is unmeasurable for fewer than two events or an empty span', () => {
    expect(ratePerSecond(1, 0, 1_000)).toBeNull();
    expect(ratePerSecond(5, 1_000, 1_000)).toBeNull();
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('leaves out runs that measured nothing, and is null when none did', () => {
    expect(median([null, 5, null, 7, 9])).toBe(7);
    expect(median([null])).toBeNull();
    expect(median([])).toBeNull();
  });
});

describe('percentile', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('takes the nearest rank', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([7, 9], 50)).toBe(7);
    expect(percentile([7, 9], 99)).toBe(9);
  });

  it('is null for no values and refuses a percentile outside (0, 100]', () => {
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile(hundred, 0)).toThrow(RangeError);
    expect(() => percentile(hundred, 101)).toThrow(RangeError);
  });
});

describe('summarizeLatencies', () => {
  it('sorts before ranking and reports the maximum', () => {
    expect(summarizeLatencies([30, 10, 20])).toEqual({ count: 3, p50: 20, p99: 30, max: 30 });
  });

  it('reports nothing for no latencies', () => {
    expect(summarizeLatencies([])).toEqual({ count: 0, p50: null, p99: null, max: null });
  });
});

describe('latencyBySecond', () => {
  it('summarises each second of arrival from the first one, skipping empty seconds', () => {
    expect(latencyBySecond([10_000, 10_400, 12_500], [5, 7, 300])).toEqual([
      { second: 0, count: 2, p50: 5, p99: 7, max: 7 },
      { second: 2, count: 1, p50: 300, p99: 300, max: 300 },
    ]);
  });

  it('is empty without arrivals', () => {
    expect(latencyBySecond([], [])).toEqual([]);
  });
});

describe('ratio', () => {
  it('divides, or is null when a side is missing or the divisor is zero', () => {
    expect(ratio(50, 200)).toBe(0.25);
    expect(ratio(null, 2)).toBeNull();
    expect(ratio(2, 0)).toBeNull();
  });
});

describe('formatTable and formatNumber', () => {
  it('aligns columns under a rule', () => {
    expect(
      formatTable([
        ['metric', 'value'],
        ['deliveries/s', '1,234'],
      ]),
    ).toBe('metric        value\n------------  -----\ndeliveries/s  1,234');
  });

  it('groups thousands and marks missing numbers', () => {
    expect(formatNumber(12_345.678, 1)).toBe('12,345.7');
    expect(formatNumber(null)).toBe('n/a');
  });
});
