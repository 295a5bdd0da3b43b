// The answer to an event that cannot fit on its topic: 413, with the limit, so the client makes it
// smaller instead of retrying (a 503 here once had well-behaved clients retry it forever).
import type { EventTooLargeError } from '@vowchat/events';
import { errorResponse, type ErrorResponse } from '../http/api-error';

/** 413 naming the event (its index in a batch), its size and its topic's limit. */
export function eventTooLargeResponse(error: EventTooLargeError, batch: boolean): ErrorResponse {
  const field = batch ? `events[${error.index}]` : '(root)';
  const which = batch ? `Event ${error.index} of the batch` : 'The event';
  return errorResponse(
    413,
    'event_too_large',
    `${which} takes ${error.recordBytes} bytes as a Kafka record, more than the limit of ${error.limitBytes} bytes on topic ${error.topic} (its max.message.bytes, ${error.maxMessageBytes}, less room for the batch framing); make it smaller. Nothing was published.`,
    [
      {
        field,
        message: `is ${error.recordBytes} bytes as a Kafka record; the limit is ${error.limitBytes}`,
      },
    ],
  );
}
