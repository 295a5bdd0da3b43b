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

describe('MicroBatcher in bytes', () => {
  const sized = (flush: (items: string[]) => Promise<void | (Error | undefined)[]>) =>
    new MicroBatcher<string>({
      flush,
      maxBatch: 100,
      lingerMs: 1,
      maxPending: 100,
      sizeOf: (s) => s.length,
      maxBatchBytes: 10,
      maxPendingBytes: 25,
    });

  it('keeps each batch under maxBatchBytes, but never leaves an oversized item behind', async () => {
    const batches: string[][] = [];
    const batcher = sized(async (items) => void batches.push(items));
    await Promise.all(['aaaa', 'bbbb', 'cccc', 'dddddddddddddddd', 'ee'].map((s) => batcher.add(s)));
    expect(batches.flat()).toEqual(['aaaa', 'bbbb', 'cccc', 'dddddddddddddddd', 'ee']);
    for (const batch of batches) {
      const bytes = batch.join('').length;
      expect(bytes <= 10 || batch.length === 1).toBe(true);
    }
  });

  it('makes add wait while the queued bytes are at the cap', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const batcher = sized(() => gate);
    const first = batcher.add('x'.repeat(10)); // flushed at once, holds the flush
    const queued = [batcher.add('y'.repeat(10)), batcher.add('z'.repeat(10))];
    let thirdAdded = false;
    const third = batcher.add('w'.repeat(10)).then(() => (thirdAdded = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(batcher.pendingBytes).toBeLessThanOrEqual(25);
    expect(thirdAdded).toBe(false);
    release();
    await Promise.all([first, ...queued, third]);
    expect(thirdAdded).toBe(true);
  });

  it('fails only the items a flush names', async () => {
    const batcher = sized(async (items) =>
      items.map((s) => (s === 'bad' ? new Error('refused') : undefined)),
    );
    const results = await Promise.allSettled([batcher.add('ok'), batcher.add('bad'), batcher.add('ok2')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
