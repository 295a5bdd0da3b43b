import fc from 'fast-check';
import { newEventId } from './event-id';
import { exampleEvent } from './examples';
import { toEventMessage } from './record';
import {
  batchCapacity,
  BATCH_MARGIN_BYTES,
  chunkByPartitionBytes,
  DEFAULT_MAX_MESSAGE_BYTES,
  recordBytes,
} from './record-size';

describe('recordBytes', () => {
  it('counts key, value, header names and values in UTF-8 bytes, plus framing', () => {
    expect(recordBytes({ key: '42', value: 'é', headers: { h: 'v' } })).toBe(36 + 2 + 2 + 10 + 1 + 1);
    expect(recordBytes({ key: null, value: null })).toBe(36);
    expect(recordBytes({ value: Buffer.alloc(7), headers: { a: undefined } })).toBe(36 + 7 + 10 + 1);
  });

  it('puts an event record 100 to 200 bytes above its JSON (key, headers, framing)', () => {
    const message = toEventMessage(exampleEvent('conversation_status_changed'), newEventId());
    const overhead = recordBytes(message) - Buffer.byteLength(message.value);
    expect(overhead).toBeGreaterThan(100);
    expect(overhead).toBeLessThan(200);
  });
});

describe('batchCapacity', () => {
  it('keeps the batch margin free', () => {
    expect(batchCapacity(DEFAULT_MAX_MESSAGE_BYTES)).toBe(DEFAULT_MAX_MESSAGE_BYTES - BATCH_MARGIN_BYTES);
    expect(batchCapacity(100)).toBe(0);
  });
});

describe('chunkByPartitionBytes', () => {
  type Item = { slot: string; bytes: number; n: number };
  const chunk = (items: Item[], cap: number) =>
    chunkByPartitionBytes(
      items,
      (i) => i.slot,
      (i) => i.bytes,
      () => cap,
    );

  it('keeps everything in one chunk when each partition stays under the cap', () => {
    const items = [
      { slot: 'a', bytes: 60, n: 0 },
      { slot: 'b', bytes: 60, n: 1 },
      { slot: 'a', bytes: 40, n: 2 },
    ];
    expect(chunk(items, 100)).toEqual([items]);
  });

  it('starts a new chunk when a partition would pass the cap', () => {
    const items = [
      { slot: 'a', bytes: 60, n: 0 },
      { slot: 'a', bytes: 60, n: 1 },
      { slot: 'a', bytes: 60, n: 2 },
    ];
    expect(chunk(items, 100)).toEqual([[items[0]], [items[1]], [items[2]]]);
  });

  it('gives an item over the cap a chunk of its own', () => {
    const items = [
      { slot: 'a', bytes: 10, n: 0 },
      { slot: 'a', bytes: 500, n: 1 },
      { slot: 'a', bytes: 10, n: 2 },
    ];
    expect(chunk(items, 100)).toEqual([[items[0]], [items[1]], [items[2]]]);
  });

  it('keeps input order, loses nothing, and keeps every partition of a chunk under the cap', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ slot: fc.constantFrom('a', 'b', 'c'), bytes: fc.integer({ min: 1, max: 100 }) }),
        ),
        fc.integer({ min: 100, max: 400 }),
        (raw, cap) => {
          const items = raw.map((r, n) => ({ ...r, n }));
          const chunks = chunk(items, cap);
          expect(chunks.flat()).toEqual(items);
          for (const c of chunks) {
            expect(c.length).toBeGreaterThan(0);
            const used = new Map<string, number>();
            for (const i of c) used.set(i.slot, (used.get(i.slot) ?? 0) + i.bytes);
            for (const bytes of used.values()) expect(bytes).toBeLessThanOrEqual(cap);
          }
        },
      ),
      { seed: 8, numRuns: 200 },
    );
  });
});
