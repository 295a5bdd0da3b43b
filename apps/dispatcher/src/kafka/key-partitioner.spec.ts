import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { keyCachingPartitioner } from './key-partitioner';

function args(
  topic: string,
  partitions: number,
  key: string | Buffer | null,
  partition?: number,
): PartitionerArgs {
  return {
    topic,
    partitionMetadata: Array.from({ length: partitions }, (_, i) => ({
      partitionId: i,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    })),
    message: { key, value: 'v', partition },
  };
}

const webhookIds = Array.from(
  { length: 500 },
  (_, i) => `0193a1b2-c3d4-7e5f-8a9b-${String(i).padStart(12, '0')}`,
);

describe('keyCachingPartitioner', () => {
  it('puts every key where the default partitioner puts it, the first time and every time after', () => {
    const reference = Partitioners.DefaultPartitioner();
    const caching = keyCachingPartitioner()();
    for (const partitions of [1, 3, 6, 7]) {
      for (const id of webhookIds) {
        const expected = reference(args('deliveries', partitions, id));
        expect(caching(args('deliveries', partitions, id))).toBe(expected);
        expect(caching(args('deliveries', partitions, id))).toBe(expected);
      }
    }
  });

  it('spreads keys over the partitions (a cached constant would not)', () => {
    const caching = keyCachingPartitioner()();
    const used = new Set(webhookIds.map((id) => caching(args('deliveries', 6, id))));
    expect(used.size).toBe(6);
  });

  it('starts over when the partition count changes, so a grown topic gets the new mapping', () => {
    const reference = Partitioners.DefaultPartitioner();
    const caching = keyCachingPartitioner()();
    const moved = webhookIds.find((id) => reference(args('t', 3, id)) !== reference(args('t', 6, id)))!;
    expect(caching(args('t', 3, moved))).toBe(reference(args('t', 3, moved)));
    expect(caching(args('t', 6, moved))).toBe(reference(args('t', 6, moved)));
  });

  it('keeps topics apart', () => {
    const reference = Partitioners.DefaultPartitioner();
    const caching = keyCachingPartitioner()();
    const id = webhookIds[0];
    expect(caching(args('a', 3, id))).toBe(reference(args('a', 3, id)));
    expect(caching(args('b', 7, id))).toBe(reference(args('b', 7, id)));
    expect(caching(args('a', 3, id))).toBe(reference(args('a', 3, id)));
  });

  it('honours an explicit partition and leaves keyless records to round-robin', () => {
    const caching = keyCachingPartitioner()();
    expect(caching(args('t', 6, webhookIds[0], 4))).toBe(4);
    const keyless = new Set(Array.from({ length: 12 }, () => caching(args('t', 6, null))));
    expect(keyless.size).toBe(6);
  });

  it('hashes Buffer keys as the default partitioner does, without remembering them', () => {
    const reference = Partitioners.DefaultPartitioner();
    const caching = keyCachingPartitioner()();
    const key = Buffer.from([0xe9]);
    expect(caching(args('t', 7, key))).toBe(reference(args('t', 7, key)));
    expect(caching(args('t', 7, 'é'))).toBe(reference(args('t', 7, 'é')));
  });

  it('stays correct past its capacity (it forgets and hashes again)', () => {
    const reference = Partitioners.DefaultPartitioner();
    const caching = keyCachingPartitioner(10)();
    for (const id of [...webhookIds, ...webhookIds])
      expect(caching(args('t', 6, id))).toBe(reference(args('t', 6, id)));
  });
});
