import { EventTooLargeError } from '@vowchat/events';
import { eventTooLargeResponse } from './event-too-large';

describe('eventTooLargeResponse', () => {
  const error = new EventTooLargeError(3, 'vowchat.messages', 1_048_600, 1_048_076, 1_048_588);

  it('answers a single event with 413, its size and the limit', () => {
    expect(eventTooLargeResponse(error, false)).toEqual({
      status: 413,
      body: {
        error: 'event_too_large',
        message:
          'The event takes 1048600 bytes as a Kafka record, more than the limit of 1048076 bytes on topic vowchat.messages (its max.message.bytes, 1048588, less room for the batch framing); make it smaller. Nothing was published.',
        problems: [{ field: '(root)', message: 'is 1048600 bytes as a Kafka record; the limit is 1048076' }],
      },
    });
  });

  it('names the event of a batch by its index', () => {
    const response = eventTooLargeResponse(error, true);
    expect(response.body.message).toMatch(/^Event 3 of the batch takes 1048600 bytes/);
    expect(response.body.problems).toEqual([
      { field: 'events[3]', message: 'is 1048600 bytes as a Kafka record; the limit is 1048076' },
    ]);
  });
});
