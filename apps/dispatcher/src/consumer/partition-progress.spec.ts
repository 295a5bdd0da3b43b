import { PartitionProgress } from './partition-progress';

describe('PartitionProgress (watermark commits)', () => {
  it('commits nothing before anything is taken', () => {
    expect(new PartitionProgress().commitCandidate()).toBeNull();
  });

  it('holds the commit at the lowest unfinished offset while later ones finish', () => {
    const p = new PartitionProgress();
    [10, 11, 12, 13].forEach((o) => p.take(o));
    p.finish(11);
    p.finish(13);
    expect(p.commitCandidate()).toBe(10);
    expect(p.inFlight).toBe(2);
    p.finish(10);
    expect(p.commitCandidate()).toBe(12);
    p.finish(12);
    expect(p.commitCandidate()).toBe(14);
    expect(p.inFlight).toBe(0);
  });

  it('does not offer the same offset twice once it is committed', () => {
    const p = new PartitionProgress();
    p.take(5);
    p.finish(5);
    expect(p.commitCandidate()).toBe(6);
    p.markCommitted(6);
    expect(p.commitCandidate()).toBeNull();
    p.take(6);
    expect(p.commitCandidate()).toBeNull();
    p.finish(6);
    expect(p.commitCandidate()).toBe(7);
  });

  it('refuses an offset it already took (re-fetch after a rebalance)', () => {
    const p = new PartitionProgress();
    expect(p.take(1)).toBe(true);
    expect(p.take(2)).toBe(true);
    expect(p.take(1)).toBe(false);
    expect(p.inFlight).toBe(2);
  });

  it('tolerates gaps in offsets (compaction, transactions markers)', () => {
    const p = new PartitionProgress();
    p.take(3);
    p.take(9);
    p.finish(9);
    expect(p.commitCandidate()).toBe(3);
    p.finish(3);
    expect(p.commitCandidate()).toBe(10);
  });
});
