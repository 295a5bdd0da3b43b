// How an event travels as a Kafka record, and how a consumed record becomes an event again.
import { isUtf8 } from 'node:buffer';
import { deriveEventId, isEventId } from './event-id';
import type { VowChatEvent } from './payloads';
import { describeProblems, validateEvent } from './validation';
import type { EventType } from './event-types';

/** Kafka header names carried by every published event record. */
export const EVENT_HEADERS = Object.freeze({
  eventId: 'vowchat-event-id',
  eventType: 'vowchat-event-type',
});

/** The record key: the account id, so one account's events stay in order on one partition. */
export function partitionKey(event: Pick<VowChatEvent, 'account'>): string {
  return String(event.account.id);
}

export interface EventMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** The Kafka message for an event published under `eventId`. */
export function toEventMessage(event: VowChatEvent, eventId: string): EventMessage {
  return {
    key: partitionKey(event),
    value: JSON.stringify(event),
    headers: { [EVENT_HEADERS.eventId]: eventId, [EVENT_HEADERS.eventType]: event.event },
  };
}

/** A consumed record as kafkajs hands it over (only what decoding needs). */
export interface RawEventRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export interface DecodedEvent {
  ok: true;
  eventId: string;
  /** True when the record had no usable id header and the id was derived from its coordinates. */
  idDerived: boolean;
  type: EventType;
  event: VowChatEvent;
  /** The value exactly as published: this is the body every webhook receives. */
  body: string;
}

export interface UndecodableRecord {
  ok: false;
  reason: string;
}

/** Parses and validates a consumed record; a bad record yields a reason instead of throwing. */
export function decodeEventRecord(record: RawEventRecord): DecodedEvent | UndecodableRecord {
  if (record.value === null) return { ok: false, reason: 'value is empty (null)' };
  // toString() would silently replace invalid bytes with U+FFFD and deliver what nobody published.
  if (typeof record.value !== 'string' && !isUtf8(record.value))
    return { ok: false, reason: 'value is not valid UTF-8' };
  const body = record.value.toString();
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return { ok: false, reason: `value is not JSON: ${(error as Error).message}` };
  }
  const result = validateEvent(parsed);
  if (!result.ok) return { ok: false, reason: `invalid event: ${describeProblems(result.problems)}` };
  const key = record.key?.toString();
  if (key !== undefined && key !== '' && key !== partitionKey(result.event)) {
    return { ok: false, reason: `record key "${key}" does not match account.id ${result.event.account.id}` };
  }
  const header = headerText(record.headers?.[EVENT_HEADERS.eventId]);
  const valid = isEventId(header);
  return {
    ok: true,
    eventId: valid ? header : deriveEventId(record.topic, record.partition, record.offset),
    idDerived: !valid,
    type: result.event.event,
    event: result.event,
    body,
  };
}

/** The text of a Kafka header value (the first one when repeated). */
export function headerText(value: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first?.toString();
}

/** What the dead-letter topic holds for a record that could not be delivered as an event. */
export interface DeadLetter {
  reason: string;
  origin: { topic: string; partition: number; offset: string; timestamp?: string };
  /** The record's key as text, cut to DEAD_LETTER_LIMITS.keyBytes. */
  key: string | null;
  /** The original value as UTF-8 text, or base64 when `value_encoding` says so. */
  value: string | null;
  value_encoding: 'utf8' | 'base64';
  /** The original value's size in bytes. */
  value_bytes: number;
  /** True when `value` holds only a prefix of the original: the whole letter had to fit its topic. */
  value_truncated: boolean;
  /** Header values as text, each cut to DEAD_LETTER_LIMITS.headerBytes. */
  headers: Record<string, string>;
  /** True when a header was cut short or left out. */
  headers_truncated: boolean;
  dead_lettered_at: string;
}

/** What a dead letter keeps of a hostile record's parts, so every letter fits its topic. */
export const DEAD_LETTER_LIMITS = Object.freeze({
  keyBytes: 1_024,
  headerBytes: 1_024,
  headersTotalBytes: 16_384,
  reasonChars: 1_000,
});

/**
 * Builds the dead-letter record for `record`, keeping its origin, reason and (within the limits)
 * its key and headers. The value is kept whole when the letter still fits in `maxBytes` (as JSON),
 * else a base64 prefix that fits is kept and `value_truncated` says so.
 */
export function toDeadLetter(
  record: RawEventRecord & { timestamp?: string },
  reason: string,
  at: Date,
  maxBytes = Number.POSITIVE_INFINITY,
): DeadLetter {
  const value = record.value === null ? null : Buffer.from(record.value);
  const utf8 = value === null || isUtf8(value);
  const key = record.key === null ? null : cutText(Buffer.from(record.key), DEAD_LETTER_LIMITS.keyBytes);
  const headers: Record<string, string> = {};
  let headersTruncated = false;
  let headerBytes = 0;
  for (const [name, v] of Object.entries(record.headers ?? {})) {
    const t = headerText(v);
    if (t === undefined) continue;
    const kept = cutText(Buffer.from(t), DEAD_LETTER_LIMITS.headerBytes);
    const keptName = cutText(Buffer.from(name), DEAD_LETTER_LIMITS.headerBytes);
    headerBytes += Buffer.byteLength(kept) + Buffer.byteLength(keptName);
    if (headerBytes > DEAD_LETTER_LIMITS.headersTotalBytes) {
      headersTruncated = true;
      break;
    }
    if (kept.length < t.length || keptName.length < name.length) headersTruncated = true;
    headers[keptName] = kept;
  }
  const letter: DeadLetter = {
    reason:
      reason.length > DEAD_LETTER_LIMITS.reasonChars
        ? reason.slice(0, DEAD_LETTER_LIMITS.reasonChars) + '…'
        : reason,
    origin: {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
    },
    key,
    value: null,
    value_encoding: utf8 ? 'utf8' : 'base64',
    value_bytes: value?.length ?? 0,
    value_truncated: false,
    headers,
    headers_truncated: headersTruncated,
    dead_lettered_at: at.toISOString(),
  };
  if (value === null) return letter;
  const whole = value.toString(utf8 ? 'utf8' : 'base64');
  // Room left for the value once everything else is in (with a few bytes for the quotes and flag).
  const room = maxBytes - Buffer.byteLength(JSON.stringify(letter)) - 16;
  if (Buffer.byteLength(JSON.stringify(whole)) <= room) return { ...letter, value: whole };
  // A prefix as base64: its size is known before encoding, whatever the bytes (JSON escapes none of it).
  const prefixBytes = Math.max(0, Math.floor((room - 2) / 4) * 3);
  return {
    ...letter,
    value: value.subarray(0, prefixBytes).toString('base64'),
    value_encoding: 'base64',
    value_truncated: true,
  };
}

/** `bytes` as text, cut to at most `max` bytes (a cut never splits a character into invalid bytes). */
function cutText(bytes: Buffer, max: number): string {
  if (bytes.length <= max) return bytes.toString('utf8');
  return (
    bytes
      .subarray(0, max)
      .toString('utf8')
      .replace(/\uFFFD$/u, '') + '…'
  );
}
