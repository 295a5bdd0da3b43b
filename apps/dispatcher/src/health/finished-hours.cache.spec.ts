import { FinishedHoursCache } from './finished-hours.cache';

describe('FinishedHoursCache', () => {
  const settings = { refreshAfterMs: 5_000, maxStaleMs: 60_000 };
  const counter = () => {
    let n = 0;
    const load = jest.fn(() => Promise.resolve(++n));
    return load;
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('reads once and serves the reading while it is fresh', async () => {
    const cache = new FinishedHoursCache(settings);
    const load = counter();
    expect(await cache.get('s', 'k', load, 0)).toBe(1);
    expect(await cache.get('s', 'k', load, 4_999)).toBe(1);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('serves the kept reading past refreshAfterMs and reads a fresh one in the background, once', async () => {
    const cache = new FinishedHoursCache(settings);
    await cache.get('s', 'k', () => Promise.resolve(1), 0);
    let finish: (value: number) => void = () => undefined;
    const refresh = jest.fn(() => new Promise<number>((resolve) => (finish = resolve)));
    expect(await cache.get('s', 'k', refresh, 6_000)).toBe(1);
    expect(await cache.get('s', 'k', refresh, 6_001)).toBe(1);
    expect(refresh).toHaveBeenCalledTimes(1);
    finish(2);
    await settle();
    expect(await cache.get('s', 'k', refresh, 7_000)).toBe(2);
  });

  it('reads again before answering when the hours changed or the reading is too old', async () => {
    const cache = new FinishedHoursCache(settings);
    const load = counter();
    await cache.get('s', 'k', load, 0);
    expect(await cache.get('s', 'other hours', load, 1_000)).toBe(2);
    expect(await cache.get('s', 'other hours', load, 61_000)).toBe(3);
  });

  it('keeps slots apart', async () => {
    const cache = new FinishedHoursCache(settings);
    expect(await cache.get('a', 'k', () => Promise.resolve('a'), 0)).toBe('a');
    expect(await cache.get('b', 'k', () => Promise.resolve('b'), 0)).toBe('b');
  });

  it('does not keep a failed read, nor a failed refresh', async () => {
    const cache = new FinishedHoursCache(settings);
    await expect(cache.get('s', 'k', () => Promise.reject(new Error('down')), 0)).rejects.toThrow('down');
    expect(await cache.get('s', 'k', () => Promise.resolve(1), 1)).toBe(1);
    expect(await cache.get('s', 'k', () => Promise.reject(new Error('down')), 6_000)).toBe(1);
    await settle();
    expect(await cache.get('s', 'k', () => Promise.resolve(3), 6_001)).toBe(3);
  });
});
