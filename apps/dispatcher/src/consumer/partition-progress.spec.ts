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

describe('PartitionProgress (memory and stalls)', () => {
  it('holds the bytes of unfinished records only', () => {
    const p = new PartitionProgress();
    p.take(1, 100, 0, 0);
    p.take(2, 900_000, 0, 0);
    expect(p.inFlightBytes).toBe(900_100);
    p.finish(2, 5);
    expect(p.inFlightBytes).toBe(100);
    p.finish(1, 6);
    expect(p.inFlightBytes).toBe(0);
    p.finish(1, 7); // a second finish of the same offset changes nothing
    expect(p.inFlightBytes).toBe(0);
    expect(p.inFlight).toBe(0);
  });

  it('is stalled for as long as its lowest open record has not finished', () => {
    const p = new PartitionProgress();
    expect(p.stalledForMs(1_000)).toBe(0);
    p.take(10, 1, 0, 1_000);
    p.take(11, 1, 0, 1_100);
    p.finish(11, 2_000); // a later record finishing is not progress: the watermark stays
    expect(p.stalledForMs(5_000)).toBe(4_000);
    p.finish(10, 6_000);
    expect(p.stalledForMs(9_000)).toBe(0); // idle
    p.take(12, 1, 0, 9_500);
    expect(p.stalledForMs(10_000)).toBe(500);
  });

  it('reports the age of the oldest unfinished record as lag', () => {
    const p = new PartitionProgress();
    p.take(0, 1, 1_000, 1_000);
    p.take(1, 1, 2_000, 2_000);
    expect(p.lagMs(5_000, 2)).toBe(4_000);
    p.finish(0, 5_000);
    expect(p.lagMs(5_000, 2)).toBe(3_000);
    p.finish(1, 5_000);
    expect(p.lagMs(5_000, 2)).toBe(0); // caught up
    expect(p.lagMs(6_000, 10)).toBe(4_000); // more on the partition than taken: at most this old
  });
});
