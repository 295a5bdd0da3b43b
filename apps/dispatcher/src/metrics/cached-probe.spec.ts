import { CachedProbe } from './cached-probe';

describe('CachedProbe', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => (clock = 1_000));

  it('reads at most once per maxAgeMs', async () => {
    let reads = 0;
    const probe = new CachedProbe(async () => ++reads, { maxAgeMs: 5_000, timeoutMs: 100, now });
    expect(await probe.get()).toEqual({ ok: true, value: 1, at: 1_000 });
    clock += 4_999;
    expect((await probe.get()).ok && (await probe.get())).toMatchObject({ value: 1 });
    clock += 1;
    expect(await probe.get()).toMatchObject({ ok: true, value: 2 });
    expect(reads).toBe(2);
  });

  it('shares one read between concurrent askers', async () => {
    let reads = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const probe = new CachedProbe(
      async () => {
        reads++;
        await gate;
        return 'v';
      },
      { maxAgeMs: 1_000, timeoutMs: 1_000, now },
    );
    const both = Promise.all([probe.get(), probe.get()]);
    release();
    expect((await both).map((r) => r.ok)).toEqual([true, true]);
    expect(reads).toBe(1);
  });

  it('fails a read that does not answer in time, keeping the last good value', async () => {
    let hang = false;
    const probe = new CachedProbe(() => (hang ? new Promise<number>(() => undefined) : Promise.resolve(7)), {
      maxAgeMs: 0,
      timeoutMs: 20,
      now,
    });
    expect(await probe.get()).toMatchObject({ ok: true, value: 7 });
    hang = true;
    expect(await probe.get()).toEqual({
      ok: false,
      error: 'no answer within 20 ms',
      at: 1_000,
      lastValue: 7,
    });
    expect(probe.last).toBe(7);
  });

  it('reports a failed read with its message', async () => {
    const probe = new CachedProbe<number>(() => Promise.reject(new Error('connect ECONNREFUSED')), {
      maxAgeMs: 1_000,
      timeoutMs: 100,
      now,
    });
    expect(await probe.get()).toMatchObject({
      ok: false,
      error: 'connect ECONNREFUSED',
      lastValue: undefined,
    });
  });
});
