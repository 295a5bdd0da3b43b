import { createHash } from 'node:crypto';
import { v7 as uuidv7, validate as isUuid } from 'uuid';

/** A new, time-ordered event id (UUIDv7), assigned when an event is published. */
export function newEventId(): string {
  return uuidv7();
}

/** True when `value` is a UUID in canonical form. */
export function isEventId(value: unknown): value is string {
  return typeof value === 'string' && isUuid(value);
}

/**
 * The id of a record that arrived without one: a UUIDv8 hashed from its coordinates, so every
 * re-consumption and every retry of that record carries the same id.
 */
export function deriveEventId(topic: string, partition: number, offset: string): string {
  return hashToUuid(`vowchat-event:${topic}:${partition}:${offset}`);
}

/** A deterministic UUIDv8 from any text (used for derived ids such as delivery ids). */
export function hashToUuid(text: string): string {
  const bytes = createHash('sha256').update(text).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80; // version 8: custom
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
