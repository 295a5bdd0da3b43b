import { EVENT_TYPES, type EventType } from './event-types';
import { allExampleEvents, exampleEvent } from './examples';
import { describeProblems, validateEvent } from './validation';

/** The fields each event must carry (dotted paths), from the payload types. */
const REQUIRED: Record<EventType, string[]> = {
  conversation_created: [
    'id',
    'status',
    'created_at',
    'conversation',
    'conversation.id',
    'account',
    'account.id',
    'account.name',
  ],
  conversation_updated: [
    'id',
    'status',
    'updated_at',
    'conversation',
    'conversation.id',
    'account',
    'account.id',
  ],
  conversation_status_changed: [
    'id',
    'status',
    'changed_at',
    'conversation',
    'conversation.id',
    'account',
    'account.id',
  ],
  message_created: [
    'id',
    'content',
    'created_at',
    'message_type',
    'content_type',
    'content_attributes',
    'source_id',
    'sender',
    'sender.id',
    'sender.name',
    'conversation',
    'conversation.id',
    'conversation.inbox_id',
    'conversation.status',
    'account',
    'account.id',
  ],
  message_updated: [
    'id',
    'content',
    'created_at',
    'message_type',
    'sender',
    'conversation.inbox_id',
    'account.id',
  ],
  webwidget_triggered: [
    'id',
    'source_id',
    'triggered_at',
    'contact',
    'contact.id',
    'inbox',
    'inbox.name',
    'account.id',
  ],
  conversation_typing_on: [
    'is_private',
    'conversation',
    'conversation.id',
    'user',
    'user.id',
    'user.type',
    'account.id',
  ],
  conversation_typing_off: [
    'is_private',
    'conversation.id',
    'user',
    'user.name',
    'user.type',
    'account',
    'account.name',
  ],
};

/** A copy of `event` with `path` set to `value` (or removed when `value` is undefined). */
function withField(event: object, path: string, value?: unknown): Record<string, unknown> {
  const copy = structuredClone(event) as Record<string, unknown>;
  const parts = path.split('.');
  const parent = parts.slice(0, -1).reduce((obj, key) => obj[key] as Record<string, unknown>, copy);
  if (value === undefined) delete parent[parts[parts.length - 1]];
  else parent[parts[parts.length - 1]] = value;
  return copy;
}

function problemsOf(input: unknown) {
  const result = validateEvent(input);
  if (result.ok) throw new Error('expected validation to fail');
  return result.problems;
}

describe('validateEvent', () => {
  it.each(EVENT_TYPES)('accepts the example %s', (type) => {
    const event = exampleEvent(type);
    expect(validateEvent(event)).toEqual({ ok: true, event });
  });

  it('accepts fields beyond the modelled ones (delivered as-is)', () => {
    const event = { ...exampleEvent('message_created'), private: false, attachments: [{ id: 1 }] };
    expect(validateEvent(event).ok).toBe(true);
  });

  it('covers every event type in this spec', () => {
    expect(Object.keys(REQUIRED).sort()).toEqual([...EVENT_TYPES].sort());
  });

  describe.each(EVENT_TYPES)('%s', (type) => {
    it.each(REQUIRED[type])('names the missing field %s', (field) => {
      expect(problemsOf(withField(exampleEvent(type), field))).toContainEqual({
        field,
        message: 'is required',
      });
    });

    it('names a nested field of the wrong type', () => {
      expect(problemsOf(withField(exampleEvent(type), 'account.id', 'eleven'))).toEqual([
        { field: 'account.id', message: 'must be a positive integer' },
      ]);
    });

    it('names a nested object replaced by a scalar', () => {
      expect(problemsOf(withField(exampleEvent(type), 'account', 11))).toEqual([
        { field: 'account', message: 'must be an object' },
      ]);
    });
  });

  it.each([
    ['message_created', 'message_type', 'shout', 'must be one of incoming, outgoing, activity, template'],
    ['message_created', 'content_attributes', [], 'must be an object'],
    ['message_created', 'created_at', '  ', 'must be a non-empty string'],
    ['message_created', 'id', 0, 'must be a positive integer or a non-empty string'],
    ['message_updated', 'updated_at', 5, 'must be a non-empty string'],
    ['conversation_status_changed', 'status', 'closed', 'must be one of open, resolved, pending, snoozed'],
    ['conversation_created', 'conversation.messages', 'none', 'must be an array'],
    ['conversation_updated', 'changed_attributes', 'x', 'must be an object'],
    ['webwidget_triggered', 'contact.email', 5, 'must be a string'],
    ['conversation_typing_on', 'user.type', 'bot', 'must be one of user, contact'],
    ['conversation_typing_off', 'is_private', 'no', 'must be a boolean'],
  ] as const)('%s: names %s when it is %p', (type, field, value, message) => {
    expect(problemsOf(withField(exampleEvent(type), field, value))).toEqual([{ field, message }]);
  });

  it('accepts the nullable fields as null', () => {
    const event = withField(
      withField(exampleEvent('message_created'), 'content', null),
      'sender.email',
      null,
    );
    expect(validateEvent(event).ok).toBe(true);
  });

  it('reports every problem at once', () => {
    const event = withField(withField(exampleEvent('message_created'), 'content_type'), 'sender.name', 7);
    expect(problemsOf(event)).toEqual([
      { field: 'content_type', message: 'is required' },
      { field: 'sender.name', message: 'must be a string' },
    ]);
  });

  it('names an unknown event and lists the known ones', () => {
    expect(problemsOf({ ...exampleEvent('message_created'), event: 'contact_updated' })).toEqual([
      { field: 'event', message: `is "contact_updated"; must be one of ${EVENT_TYPES.join(', ')}` },
    ]);
  });

  it('names a missing event', () => {
    expect(problemsOf({ account: { id: 1, name: 'x' } })[0]).toMatchObject({
      field: 'event',
      message: /^is missing;/,
    });
  });

  it.each([null, [], 'message_created', 42])('refuses %p as not an object', (input) => {
    expect(problemsOf(input)).toEqual([{ field: '(root)', message: 'must be a JSON object' }]);
  });

  it('validates every example in allExampleEvents for another account', () => {
    const events = allExampleEvents({ id: 99, name: 'Other' });
    expect(events.map((e) => e.event)).toEqual([...EVENT_TYPES]);
    expect(events.every((e) => validateEvent(e).ok && e.account.id === 99)).toBe(true);
  });
});

describe('describeProblems', () => {
  it('joins each field and its problem into one line', () => {
    expect(
      describeProblems([
        { field: 'account.id', message: 'is required' },
        { field: 'status', message: 'must be one of open, resolved' },
      ]),
    ).toBe('account.id is required; status must be one of open, resolved');
  });
});
