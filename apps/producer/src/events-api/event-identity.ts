// Which id each event of a request is published under, so that a client retrying after an
// ambiguous answer (a 503, a timeout, a dropped connection) publishes the same event again rather
// than a new one: receivers deduplicate on `webhook-id`, the event id. Pure.
//
// - `event_id` in an event (a UUID): that id. It is an envelope field, taken out of the payload.
// - An `Idempotency-Key` header: an id hashed from the account id and the key (and, in a batch, the
//   event's position), the same on every retry of the request.
// - Neither: a new id per publish (a retry is then a new event to receivers).
import { hashToUuid, isEventId, type VowChatEvent } from '@vowchat/events';
import { z } from 'zod';
import { errorResponse } from '../http/api-error';
import type { Parsed } from './ingest-request';

/** The header a client names a request by, as in the IETF draft (draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** The Idempotency-Key header: 1 to 255 printable ASCII characters. */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x20-\x7e]{1,255}$/, {
    error: `The Idempotency-Key header must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters.`,
  })
  .meta({ description: 'Names the request: a retry with the same key publishes the same event ids' });

/** An event's `event_id`, an envelope field: a UUID in canonical form (the message follows the field's name). */
export const eventIdSchema = z.custom<string>(isEventId, {
  error: (issue) => `must be a UUID, got ${JSON.stringify(issue.input)}`,
});

export interface IdentifiedEvents {
  events: VowChatEvent[];
  /** By position; undefined: a new id. */
  eventIds: (string | undefined)[];
}

/**
 * The events as they are published (without `event_id`) and their ids, or the error to answer.
 * `batch` says whether they came in one batch request (the key then covers the batch, each event
 * getting its own id from its position).
 */
export function identifyEvents(
  accountId: number,
  events: readonly VowChatEvent[],
  idempotencyKey: string | string[] | undefined,
  batch: boolean,
): Parsed<IdentifiedEvents> {
  const key = Array.isArray(idempotencyKey) ? idempotencyKey[0] : idempotencyKey;
  const keyChecked = key === undefined ? undefined : idempotencyKeySchema.safeParse(key);
  if (keyChecked && !keyChecked.success)
    return refuse(400, 'invalid_idempotency_key', keyChecked.error.issues[0].message);
  const published: VowChatEvent[] = [];
  const eventIds: (string | undefined)[] = [];
  const seen = new Map<string, number>();
  for (const [index, event] of events.entries()) {
    const field = batch ? `events[${index}].event_id` : 'event_id';
    const { event_id: given, ...payload } = event as VowChatEvent & { event_id?: unknown };
    const givenChecked = 'event_id' in event ? eventIdSchema.safeParse(given) : undefined;
    if (givenChecked && !givenChecked.success)
      return refuse(422, 'invalid_event', `${field} ${givenChecked.error.issues[0].message}.`, field);
    const fromKey =
      key === undefined
        ? undefined
        : hashToUuid(`vowchat-idempotency:${accountId}:${key}${batch ? `:${index}` : ''}`);
    if (given !== undefined && fromKey !== undefined && !batch && given !== fromKey)
      return refuse(
        400,
        'conflicting_event_id',
        'The request has both an Idempotency-Key header and an event_id, which name different events; send one of them.',
        field,
      );
    const id = (given as string | undefined) ?? fromKey;
    if (id !== undefined) {
      const earlier = seen.get(id);
      if (earlier !== undefined)
        return refuse(
          422,
          'duplicate_event_id',
          `events[${earlier}] and events[${index}] have the same event id ${id}; receivers would drop one of them.`,
          field,
        );
      seen.set(id, index);
    }
    published.push('event_id' in event ? payload : event);
    eventIds.push(id);
  }
  return { ok: true, value: { events: published, eventIds } };
}

function refuse(status: number, code: string, message: string, field?: string): Parsed<never> {
  return {
    ok: false,
    error: errorResponse(status, code, message, field ? [{ field, message }] : undefined),
  };
}
