// How an event travels as a Kafka record, and how a consumed record becomes an event again.
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
  key: string | null;
  /** The original value as UTF-8 text (or base64 when `value_encoding` says so). */
  value: string | null;
  value_encoding: 'utf8' | 'base64';
  headers: Record<string, string>;
  dead_lettered_at: string;
}

/** Builds the dead-letter record for `record`, keeping its bytes and origin. */
export function toDeadLetter(
  record: RawEventRecord & { timestamp?: string },
  reason: string,
  at: Date,
): DeadLetter {
  const value = record.value === null ? null : Buffer.from(record.value);
  const utf8 = value === null || Buffer.from(value.toString('utf8'), 'utf8').equals(value);
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(record.headers ?? {})) {
    const t = headerText(v);
    if (t !== undefined) headers[name] = t;
  }
  return {
    reason,
    origin: {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
    },
    key: record.key === null ? null : record.key.toString(),
    value: value === null ? null : value.toString(utf8 ? 'utf8' : 'base64'),
    value_encoding: utf8 ? 'utf8' : 'base64',
    headers,
    dead_lettered_at: at.toISOString(),
  };
}
