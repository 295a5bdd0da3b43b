// What a record costs against the broker's size limit, and how to split a produce so no batch passes
// it. The broker checks each partition's record batch against the topic's `max.message.bytes`
// (1,048,588 by default) and refuses the whole batch, not retriably, when it is larger.

/** The broker's default `max.message.bytes` (1 MiB plus the 12-byte log overhead). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * Kept free in every batch for its framing: the 61-byte batch header and 12-byte log overhead, with
 * room to spare so a rounding in our sum never decides between accepted and refused.
 */
export const BATCH_MARGIN_BYTES = 512;

// Per record: length, attributes, timestamp and offset deltas, key and value lengths and the header
// count, each at its longest varint; then two length varints per header.
const RECORD_FRAMING_BYTES = 36;
const HEADER_FRAMING_BYTES = 10;

/** A record as a producer sends it (kafkajs's Message, the parts that have a size). */
export interface SizedRecord {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer | undefined>;
}

/** An upper bound of the bytes `record` takes inside an uncompressed record batch. */
export function recordBytes(record: SizedRecord): number {
  let bytes = RECORD_FRAMING_BYTES + byteLength(record.key) + byteLength(record.value);
  for (const name in record.headers ?? {}) {
    bytes += HEADER_FRAMING_BYTES + Buffer.byteLength(name) + byteLength(record.headers![name]);
  }
  return bytes;
}

/** The most record bytes one batch may hold on a topic whose `max.message.bytes` is given. */
export function batchCapacity(maxMessageBytes: number): number {
  return Math.max(0, maxMessageBytes - BATCH_MARGIN_BYTES);
}

/**
 * Splits `items` (in order) into consecutive chunks in which no partition's records add up to more
 * than `capacity(item)` bytes. Sending the chunks one after another keeps every partition's order,
 * and so every key's. An item larger than its capacity on its own gets a chunk of its own: callers
 * refuse those before splitting.
 */
export function chunkByPartitionBytes<T>(
  items: readonly T[],
  slotOf: (item: T) => string,
  bytesOf: (item: T) => number,
  capacityOf: (item: T) => number,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let used = new Map<string, number>();
  for (const item of items) {
    const slot = slotOf(item);
    const bytes = bytesOf(item);
    const inSlot = used.get(slot) ?? 0;
    if (current.length > 0 && inSlot + bytes > capacityOf(item)) {
      chunks.push(current);
      current = [];
      used = new Map();
    }
    current.push(item);
    used.set(slot, (used.get(slot) ?? 0) + bytes);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function byteLength(value: string | Buffer | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}
