import { EVENT_TYPES } from '@vowchat/events';
import { isWebhookId, parseAccountId, parseCreateWebhook, parseUpdateWebhook } from './webhook-input';
import { createWebhookBodySchema, updateWebhookBodySchema } from './webhook-body.schema';

const strict = { allowInsecure: false };
const dev = { allowInsecure: true };
const valid = { url: 'https://hooks.example.com/vowchat', subscriptions: ['message_created'] };
const allNames = EVENT_TYPES.join(', ');

describe('parseCreateWebhook', () => {
  it('accepts url and subscriptions, with an optional name', () => {
    expect(parseCreateWebhook(valid, strict)).toEqual({
      ok: true,
      value: { url: valid.url, subscriptions: ['message_created'], name: null, rateLimitPerSecond: null },
    });
    expect(parseCreateWebhook({ ...valid, name: 'CRM sync' }, strict)).toEqual({
      ok: true,
      value: {
        url: valid.url,
        subscriptions: ['message_created'],
        name: 'CRM sync',
        rateLimitPerSecond: null,
      },
    });
  });

  it('takes an optional rate_limit_per_second within its bounds (null: the default)', () => {
    const rateOf = (raw: unknown) => {
      const parsed = parseCreateWebhook({ ...valid, rate_limit_per_second: raw }, strict);
      return parsed.ok ? parsed.value.rateLimitPerSecond : parsed.problems;
    };
    expect(rateOf(20)).toBe(20);
    expect(rateOf(1)).toBe(1);
    expect(rateOf(10_000)).toBe(10_000);
    expect(rateOf(null)).toBeNull();
    const refused = [
      {
        field: 'rate_limit_per_second',
        message:
          'rate_limit_per_second must be a whole number of requests per second from 1 to 10000, or null for the default',
      },
    ];
    for (const bad of [0, -1, 10_001, 2.5, '20', true]) expect(rateOf(bad)).toEqual(refused);
  });

  it('accepts every event type at once', () => {
    const parsed = parseCreateWebhook({ ...valid, subscriptions: [...EVENT_TYPES] }, strict);
    expect(parsed.ok && parsed.value.subscriptions).toEqual([...EVENT_TYPES]);
  });

  it('accepts the fields wrapped as {"webhook": {...}}, as Chatwoot does', () => {
    expect(parseCreateWebhook({ webhook: valid }, strict)).toEqual(parseCreateWebhook(valid, strict));
  });

  it('refuses a URL the policy refuses, with the policy message', () => {
    expect(parseCreateWebhook({ ...valid, url: 'http://hooks.example.com/x' }, strict)).toEqual({
      ok: false,
      problems: [{ field: 'url', message: 'url must use https://' }],
    });
    expect(parseCreateWebhook({ ...valid, url: 'http://127.0.0.1:4000/x' }, dev).ok).toBe(true);
  });

  it('requires url and subscriptions and lists both problems at once', () => {
    expect(parseCreateWebhook({}, strict)).toEqual({
      ok: false,
      problems: [
        { field: 'url', message: 'url is required' },
        {
          field: 'subscriptions',
          message: `subscriptions must be a non-empty array of event names; the event names are ${allNames}`,
        },
      ],
    });
  });

  it.each([
    [[], `subscriptions must be a non-empty array of event names; the event names are ${allNames}`],
    [
      'message_created',
      `subscriptions must be a non-empty array of event names; the event names are ${allNames}`,
    ],
    [
      ['message_created', 'invoice_paid', 'message_deleted', 'invoice_paid'],
      `unknown event names "invoice_paid", "message_deleted"; the event names are ${allNames}`,
    ],
    [['messages_created'], `unknown event name "messages_created"; the event names are ${allNames}`],
    [
      ['message_created', 'message_created'],
      'subscriptions lists message_created more than once; list each event once',
    ],
  ])('refuses subscriptions %j', (subscriptions, message) => {
    expect(parseCreateWebhook({ ...valid, subscriptions }, strict)).toEqual({
      ok: false,
      problems: [{ field: 'subscriptions', message }],
    });
  });

  it('names the position of a subscription that is not a string', () => {
    expect(parseCreateWebhook({ ...valid, subscriptions: ['message_created', 7] }, strict)).toEqual({
      ok: false,
      problems: [
        {
          field: 'subscriptions[1]',
          message: `subscriptions must hold event names (strings); the event names are ${allNames}`,
        },
      ],
    });
  });

  it('refuses a name that is not a string or is too long', () => {
    expect(parseCreateWebhook({ ...valid, name: 42 }, strict)).toEqual({
      ok: false,
      problems: [{ field: 'name', message: 'name must be a string (or null for none)' }],
    });
    expect(parseCreateWebhook({ ...valid, name: 'x'.repeat(255) }, strict).ok).toBe(true);
    expect(parseCreateWebhook({ ...valid, name: 'x'.repeat(256) }, strict)).toEqual({
      ok: false,
      problems: [{ field: 'name', message: 'name must be at most 255 characters, got 256' }],
    });
  });

  it('refuses unknown fields, enabled and secret included', () => {
    expect(parseCreateWebhook({ ...valid, secret: 'whsec_x', enabled: false }, strict)).toEqual({
      ok: false,
      problems: [
        {
          field: 'secret',
          message: 'unknown field "secret"; the fields are url, subscriptions, name, rate_limit_per_second',
        },
        {
          field: 'enabled',
          message: 'unknown field "enabled"; the fields are url, subscriptions, name, rate_limit_per_second',
        },
      ],
    });
  });
});

describe('parseUpdateWebhook', () => {
  it('takes any of url, subscriptions, name and enabled, and only what was sent', () => {
    expect(parseUpdateWebhook({ enabled: false }, strict)).toEqual({ ok: true, value: { enabled: false } });
    expect(parseUpdateWebhook({ name: null, subscriptions: ['conversation_created'] }, strict)).toEqual({
      ok: true,
      value: { name: null, subscriptions: ['conversation_created'] },
    });
    expect(parseUpdateWebhook({ url: 'https://new.example.com/' }, strict)).toEqual({
      ok: true,
      value: { url: 'https://new.example.com/' },
    });
  });

  it('changes the rate limit, or sets it back to the default with null', () => {
    expect(parseUpdateWebhook({ rate_limit_per_second: 5 }, strict)).toEqual({
      ok: true,
      value: { rateLimitPerSecond: 5 },
    });
    expect(parseUpdateWebhook({ rate_limit_per_second: null }, strict)).toEqual({
      ok: true,
      value: { rateLimitPerSecond: null },
    });
    expect(parseUpdateWebhook({ rate_limit_per_second: 0 }, strict).ok).toBe(false);
  });

  it('refuses an empty change', () => {
    expect(parseUpdateWebhook({}, strict)).toEqual({
      ok: false,
      problems: [
        {
          field: '(root)',
          message:
            'nothing to change: send at least one of url, subscriptions, name, enabled, rate_limit_per_second',
        },
      ],
    });
  });

  it('validates each field it is given', () => {
    expect(
      parseUpdateWebhook({ url: 'ftp://x.example.com', subscriptions: [], enabled: 'yes', id: 'x' }, strict),
    ).toEqual({
      ok: false,
      problems: [
        {
          field: 'id',
          message:
            'unknown field "id"; the fields are url, subscriptions, name, enabled, rate_limit_per_second',
        },
        { field: 'url', message: 'url must use https://' },
        {
          field: 'subscriptions',
          message: `subscriptions must be a non-empty array of event names; the event names are ${allNames}`,
        },
        { field: 'enabled', message: 'enabled must be true or false' },
      ],
    });
  });
});

describe('path parameters', () => {
  it.each([
    ['1', 1],
    ['11', 11],
    ['9007199254740991', 9007199254740991],
    ['0', null],
    ['-1', null],
    ['01', null],
    ['1.5', null],
    ['abc', null],
    ['9007199254740992', null],
    ['', null],
  ])('account id %j is %p', (raw, expected) => {
    expect(parseAccountId(raw)).toBe(expected);
  });

  it('knows a webhook id is a UUID', () => {
    expect(isWebhookId('0192f0a4-3b2c-7d4e-8f60-1a2b3c4d5e6f')).toBe(true);
    expect(isWebhookId('0192F0A4-3B2C-7D4E-8F60-1A2B3C4D5E6F')).toBe(true);
    expect(isWebhookId('42')).toBe(false);
    expect(isWebhookId("1' OR '1'='1")).toBe(false);
  });
});

describe('hostile input', () => {
  it.each([
    ['a NUL in the name', { ...valid, name: 'a\u0000b' }, 'name', 'name must not contain NUL characters'],
    [
      'a NUL in the url',
      { ...valid, url: 'https://hooks.example.com/\u0000' },
      'url',
      'url must not contain NUL characters',
    ],
    [
      'a lone surrogate in the name',
      { ...valid, name: 'a\ud800' },
      'name',
      'name must be valid Unicode text (it holds a lone surrogate)',
    ],
  ])('refuses %s, which Postgres cannot store as sent', (_what, body, field, message) => {
    expect(parseCreateWebhook(body, strict)).toEqual({ ok: false, problems: [{ field, message }] });
  });

  it('accepts a name with characters outside the BMP', () => {
    expect(parseCreateWebhook({ ...valid, name: 'hooks 🎉' }, strict).ok).toBe(true);
  });

  it('names an unknown field even when its key is empty or enormous', () => {
    const long = 'k'.repeat(10_000);
    const parsed = parseUpdateWebhook({ '': 1, [long]: 2 }, strict);
    expect(parsed).toEqual({
      ok: false,
      problems: [
        { field: '""', message: expect.stringMatching(/^unknown field ""; the fields are /) },
        { field: `"${'k'.repeat(64)}…"`, message: expect.stringMatching(/^unknown field "k{64}…"; /) },
      ],
    });
  });
});

describe('the documented bodies', () => {
  it('are the parser schemas, wrapped form included', () => {
    const created = createWebhookBodySchema.safeParse({ webhook: { ...valid, name: 'CRM' } });
    expect(created.success && created.data).toEqual(
      parseCreateWebhook({ ...valid, name: 'CRM' }, strict).ok && {
        url: valid.url,
        subscriptions: ['message_created'],
        name: 'CRM',
        rateLimitPerSecond: null,
      },
    );
    expect(updateWebhookBodySchema.safeParse({ enabled: false }).success).toBe(true);
    expect(createWebhookBodySchema.safeParse({ ...valid, url: 'http://hooks.example.com/x' }).success).toBe(
      false,
    );
    expect(updateWebhookBodySchema.safeParse({}).success).toBe(false);
  });
});
