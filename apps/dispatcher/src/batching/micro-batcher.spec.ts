import { MicroBatcher } from './micro-batcher';

describe('MicroBatcher', () => {
  it('writes items in batches of at most maxBatch, in order, and resolves each caller', async () => {
    const batches: number[][] = [];
    const batcher = new MicroBatcher<number>({
      flush: async (items) => void batches.push(items),
      maxBatch: 3,
      lingerMs: 5,
      maxPending: 100,
    });
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => batcher.add(n)));
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(3);
    expect(batches.length).toBeLessThan(7);
  });

  it('rejects every item of a failed batch and keeps working afterwards', async () => {
    let fail = true;
    const batcher = new MicroBatcher<string>({
      flush: async () => {
        if (fail) throw new Error('broker down');
      },
      maxBatch: 10,
      lingerMs: 1,
      maxPending: 10,
    });
    const results = await Promise.allSettled([batcher.add('a'), batcher.add('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(batcher.add('c')).resolves.toBeUndefined();
  });

  it('makes callers wait while maxPending items are queued (bounded memory)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let peak = 0;
    const batcher = new MicroBatcher<number>({
      flush: async () => {
        peak = Math.max(peak, batcher.pending);
        await gate;
      },
      maxBatch: 2,
      lingerMs: 1,
      maxPending: 2,
    });
    const adds = [1, 2, 3, 4, 5, 6].map((n) => batcher.add(n));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batcher.pending).toBeLessThanOrEqual(2);
    release();
    await Promise.all(adds);
    expect(peak).toBeLessThanOrEqual(2);
  });

  it('close() flushes what is queued', async () => {
    const seen: number[] = [];
    const batcher = new MicroBatcher<number>({
      flush: async (i) => void seen.push(...i),
      maxBatch: 10,
      lingerMs: 10_000,
      maxPending: 10,
    });
    const added = batcher.add(42);
    await batcher.close();
    await added;
    expect(seen).toEqual([42]);
  });
});
