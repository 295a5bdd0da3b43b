// Webhook management through the dispatcher's HTTP API, on the real Postgres and Kafka: CRUD, every
// validation answer, authentication, account isolation, secrets, and the registry kept current.
import { EVENT_TYPES } from '@vowchat/events';
import { setLogSink } from '@vowchat/platform';
import {
  cleanUpDispatcherEnv,
  DispatcherContext,
  dispatcherTestEnv,
  TEST_API_TOKEN,
} from './support/dispatcher-context';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

const GRACE_MS = 1_500;
const env = dispatcherTestEnv({ SECRET_ROTATION_GRACE_MS: String(GRACE_MS), LOG_LEVEL: 'debug' });
let ctx: DispatcherContext;
// Every log line the app writes, to prove no secret is ever among them.
const logged: string[] = [];
const secretsSeen: string[] = [];

const VIEW_FIELDS = [
  'account_id',
  'created_at',
  'disabled_reason',
  'enabled',
  'id',
  'name',
  'rate_limit_per_second',
  'subscriptions',
  'updated_at',
  'url',
];
let nextAccount = 1000;
const newAccount = () => nextAccount++;
const path = (accountId: number | string, rest = '') => `/api/v1/accounts/${accountId}/webhooks${rest}`;

beforeAll(async () => {
  setLogSink({ write: (line: string) => logged.push(line) });
  ctx = await DispatcherContext.start(env);
}, 60_000);

afterAll(async () => {
  await ctx?.close();
  await cleanUpDispatcherEnv(env);
}, 60_000);

describe('authentication', () => {
  it('refuses a request without a token, or with a wrong one, with 401', async () => {
    const missing = await ctx.api('GET', path(1), { token: null });
    expect(missing.status).toBe(401);
    expect(missing.body.message).toContain('api_access_token');
    const wrong = await ctx.api('GET', path(1), { token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toBe('invalid API token.');
    const creating = await ctx.api('POST', path(1), {
      token: null,
      body: { url: 'http://127.0.0.1:9/x', subscriptions: ['message_created'] },
    });
    expect(creating.status).toBe(401);
  });

  it('takes the token as Authorization: Bearer too', async () => {
    const response = await ctx.api('GET', path(1), {
      token: null,
      headers: { authorization: `Bearer ${TEST_API_TOKEN}` },
    });
    expect(response.status).toBe(200);
  });
});

describe('webhook lifecycle', () => {
  it('creates a webhook, returns its secret once, and puts it in the registry before answering', async () => {
    const accountId = newAccount();
    const response = await ctx.api('POST', path(accountId), {
      body: {
        url: 'http://127.0.0.1:9/crm',
        subscriptions: ['message_created', 'conversation_created'],
        name: 'CRM',
      },
    });
    expect(response.status).toBe(200);
    const webhook = response.body.payload.webhook;
    secretsSeen.push(webhook.secret);
    expect(Object.keys(webhook).sort()).toEqual([...VIEW_FIELDS, 'secret'].sort());
    expect(webhook).toMatchObject({
      account_id: accountId,
      name: 'CRM',
      url: 'http://127.0.0.1:9/crm',
      subscriptions: ['message_created', 'conversation_created'],
      enabled: true,
      disabled_reason: null,
    });
    expect(webhook.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(webhook.created_at).toBe(webhook.updated_at);

    // Applied before the response: no waiting.
    expect(ctx.registry.get(webhook.id)).toEqual({
      id: webhook.id,
      accountId,
      url: 'http://127.0.0.1:9/crm',
      subscriptions: new Set(['message_created', 'conversation_created']),
      secrets: [webhook.secret],
      rateLimitPerSecond: null,
    });
    expect(ctx.registry.matching(accountId, 'conversation_created').map((t) => t.id)).toEqual([webhook.id]);
    expect(ctx.registry.matching(accountId, 'message_updated')).toEqual([]);
  });

  it('lists and shows webhooks without their secret', async () => {
    const accountId = newAccount();
    const first = await ctx.newWebhook({ accountId, name: 'first' });
    const second = await ctx.newWebhook({ accountId, subscriptions: ['conversation_typing_on'] });
    secretsSeen.push(first.secret, second.secret);

    const list = await ctx.api('GET', path(accountId));
    expect(list.status).toBe(200);
    expect(list.body.payload.webhooks.map((w: { id: string }) => w.id)).toEqual([first.id, second.id]);
    for (const w of list.body.payload.webhooks) expect(Object.keys(w).sort()).toEqual(VIEW_FIELDS);
    expect(list.text).not.toContain('whsec_');

    const shown = await ctx.api('GET', path(accountId, `/${second.id}`));
    expect(shown.status).toBe(200);
    const { secret: _secret, ...withoutSecret } = second;
    expect(shown.body).toEqual({ payload: { webhook: withoutSecret } });
    expect(shown.text).not.toContain('whsec_');
  });

  it('lists nothing for an account without webhooks', async () => {
    const response = await ctx.api('GET', path(newAccount()));
    expect(response).toMatchObject({ status: 200, body: { payload: { webhooks: [] } } });
  });

  it('updates url, subscriptions, name and enabled, and the registry follows at once', async () => {
    const accountId = newAccount();
    const webhook = await ctx.newWebhook({ accountId, subscriptions: ['message_created'] });
    secretsSeen.push(webhook.secret);

    const changed = await ctx.api('PATCH', path(accountId, `/${webhook.id}`), {
      body: { url: 'http://127.0.0.1:9/v2', subscriptions: ['message_updated'], name: 'renamed' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.payload.webhook).toMatchObject({
      id: webhook.id,
      url: 'http://127.0.0.1:9/v2',
      subscriptions: ['message_updated'],
      name: 'renamed',
      enabled: true,
    });
    expect(changed.text).not.toContain('whsec_');
    expect(Date.parse(changed.body.payload.webhook.updated_at)).toBeGreaterThanOrEqual(
      Date.parse(webhook.updated_at),
    );
    expect(ctx.registry.get(webhook.id)?.url).toBe('http://127.0.0.1:9/v2');
    expect(ctx.registry.matching(accountId, 'message_created')).toEqual([]);
    expect(ctx.registry.matching(accountId, 'message_updated').map((t) => t.id)).toEqual([webhook.id]);

    const disabled = await ctx.api('PATCH', path(accountId, `/${webhook.id}`), { body: { enabled: false } });
    expect(disabled.body.payload.webhook).toMatchObject({
      enabled: false,
      disabled_reason: 'disabled through the API',
    });
    expect(ctx.registry.get(webhook.id)).toBeUndefined();
    expect(ctx.registry.matching(accountId, 'message_updated')).toEqual([]);

    // PUT is update too, as in Chatwoot.
    const enabled = await ctx.api('PUT', path(accountId, `/${webhook.id}`), {
      body: { enabled: true, name: null },
    });
    expect(enabled.status).toBe(200);
    expect(enabled.body.payload.webhook).toMatchObject({ enabled: true, disabled_reason: null, name: null });
    expect(ctx.registry.get(webhook.id)?.secrets).toEqual([webhook.secret]);
  });

  it('deletes a webhook: gone from the API and the registry', async () => {
    const accountId = newAccount();
    const webhook = await ctx.newWebhook({ accountId });
    secretsSeen.push(webhook.secret);
    expect(ctx.registry.get(webhook.id)).toBeDefined();

    const deleted = await ctx.api('DELETE', path(accountId, `/${webhook.id}`));
    expect(deleted.status).toBe(200);
    expect(ctx.registry.get(webhook.id)).toBeUndefined();
    expect(ctx.registry.matching(accountId, 'message_created')).toEqual([]);
    expect((await ctx.api('GET', path(accountId, `/${webhook.id}`))).status).toBe(404);
    expect((await ctx.api('GET', path(accountId))).body.payload.webhooks).toEqual([]);
    expect((await ctx.api('DELETE', path(accountId, `/${webhook.id}`))).status).toBe(404);
  });

  it('accepts the fields wrapped as {"webhook": {...}}, as Chatwoot clients send them', async () => {
    const response = await ctx.api('POST', path(newAccount()), {
      body: { webhook: { url: 'http://127.0.0.1:9/wrapped', subscriptions: ['webwidget_triggered'] } },
    });
    expect(response.status).toBe(200);
    secretsSeen.push(response.body.payload.webhook.secret);
    expect(response.body.payload.webhook.subscriptions).toEqual(['webwidget_triggered']);
  });
});

describe('account isolation', () => {
  it("answers 404 for another account's webhook and leaves it untouched", async () => {
    const owner = newAccount();
    const other = newAccount();
    const webhook = await ctx.newWebhook({ accountId: owner });
    secretsSeen.push(webhook.secret);
    const elsewhere = path(other, `/${webhook.id}`);

    for (const [method, p, body] of [
      ['GET', elsewhere, undefined],
      ['PATCH', elsewhere, { enabled: false }],
      ['PUT', elsewhere, { name: 'taken' }],
      ['DELETE', elsewhere, undefined],
      ['POST', `${elsewhere}/rotate-secret`, undefined],
    ] as const) {
      const response = await ctx.api(method, p, { body });
      expect({ method, status: response.status }).toEqual({ method, status: 404 });
      expect(response.body.message).toBe(`webhook ${webhook.id} not found in this account`);
      expect(response.text).not.toContain('whsec_');
    }
    expect((await ctx.api('GET', path(other))).body.payload.webhooks).toEqual([]);

    const still = await ctx.api('GET', path(owner, `/${webhook.id}`));
    expect(still.body.payload.webhook).toMatchObject({ enabled: true, name: null });
    expect(ctx.registry.get(webhook.id)?.secrets).toEqual([webhook.secret]);
  });

  it('answers 404 for an id that is not a webhook id', async () => {
    const response = await ctx.api('GET', path(1, '/42'));
    expect(response.status).toBe(404);
    expect(response.body.message).toBe('webhook 42 not found in this account');
  });
});

describe('validation', () => {
  const validBody = { url: 'http://127.0.0.1:9/x', subscriptions: ['message_created'] };
  const allNames = EVENT_TYPES.join(', ');

  async function refusedCreate(body: unknown) {
    const accountId = newAccount();
    const response = await ctx.api('POST', path(accountId), { body });
    expect(response.status).toBe(422);
    expect(response.body.error).toBe('invalid_request');
    expect(response.body.message).toBe('the webhook was not created: fix the listed fields');
    expect((await ctx.api('GET', path(accountId))).body.payload.webhooks).toEqual([]);
    return response.body.problems;
  }

  it.each([
    [
      'an unsupported scheme',
      { ...validBody, url: 'ftp://127.0.0.1/x' },
      'url',
      'url must use https:// or http://',
    ],
    [
      'a malformed url',
      { ...validBody, url: 'not a url' },
      'url',
      'url "not a url" is not a valid absolute URL',
    ],
    ['no url', { subscriptions: ['message_created'] }, 'url', 'url is required'],
    [
      'a url with credentials',
      { ...validBody, url: 'http://user:pw@127.0.0.1/x' },
      'url',
      'url must not contain credentials',
    ],
    [
      'empty subscriptions',
      { ...validBody, subscriptions: [] },
      'subscriptions',
      `subscriptions must be a non-empty array of event names; the event names are ${allNames}`,
    ],
    [
      'no subscriptions',
      { url: validBody.url },
      'subscriptions',
      `subscriptions must be a non-empty array of event names; the event names are ${allNames}`,
    ],
    [
      'unknown event names',
      { ...validBody, subscriptions: ['message_created', 'message_deleted', 'contact_updated'] },
      'subscriptions',
      `unknown event names "message_deleted", "contact_updated"; the event names are ${allNames}`,
    ],
    [
      'a repeated event name',
      { ...validBody, subscriptions: ['message_created', 'message_created'] },
      'subscriptions',
      'subscriptions lists message_created more than once; list each event once',
    ],
    [
      'a name too long',
      { ...validBody, name: 'n'.repeat(256) },
      'name',
      'name must be at most 255 characters, got 256',
    ],
    [
      'a name that is not a string',
      { ...validBody, name: 7 },
      'name',
      'name must be a string (or null for none)',
    ],
    [
      'an unknown field',
      { ...validBody, secret: 'whsec_mine' },
      'secret',
      'unknown field "secret"; the fields are url, subscriptions, name, rate_limit_per_second',
    ],
  ])('refuses to create a webhook with %s', async (_case, body, field, message) => {
    expect(await refusedCreate(body)).toEqual([{ field, message }]);
  });

  it('refuses a change it cannot apply, leaving the webhook as it was', async () => {
    const accountId = newAccount();
    const webhook = await ctx.newWebhook({ accountId });
    secretsSeen.push(webhook.secret);
    const url = path(accountId, `/${webhook.id}`);
    for (const [body, problem] of [
      [
        {},
        {
          field: '(root)',
          message:
            'nothing to change: send at least one of url, subscriptions, name, enabled, rate_limit_per_second',
        },
      ],
      [{ enabled: 'no' }, { field: 'enabled', message: 'enabled must be true or false' }],
      [{ url: 'gopher://x' }, { field: 'url', message: 'url must use https:// or http://' }],
      [
        { secret: 'x' },
        {
          field: 'secret',
          message:
            'unknown field "secret"; the fields are url, subscriptions, name, enabled, rate_limit_per_second',
        },
      ],
    ] as const) {
      const response = await ctx.api('PATCH', url, { body });
      expect(response.status).toBe(422);
      expect(response.body).toEqual({
        error: 'invalid_request',
        message: 'the webhook was not changed: fix the listed fields',
        problems: [problem],
      });
    }
    const { secret: _secret, ...unchanged } = webhook;
    expect((await ctx.api('GET', url)).body.payload.webhook).toEqual(unchanged);
  });

  it('answers 400 to a body that is not JSON or not an object', async () => {
    const malformed = await ctx.api('POST', path(1), { rawBody: '{"url": "http://127.0.0.1:9/x",' });
    expect(malformed.status).toBe(400);
    const wrongType = await ctx.api('POST', path(1), {
      rawBody: 'url=http://127.0.0.1:9/x',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.message).toBe(
      'send the webhook as a JSON object with Content-Type: application/json',
    );
    const noBody = await ctx.api('POST', path(1));
    expect(noBody.status).toBe(400);
    const array = await ctx.api('POST', path(1), { body: [validBody] });
    expect(array.status).toBe(400);
    expect(array.body.message).toBe('the request body must be a JSON object');
  });

  it.each(['abc', '0', '-3', '1.5'])('answers 400 to account id %j', async (accountId) => {
    const response = await ctx.api('GET', path(accountId));
    expect(response.status).toBe(400);
    expect(response.body.message).toBe(
      `account_id in the path must be a positive integer, got "${accountId}"`,
    );
  });

  it('caps the webhooks of one account, even under concurrent creates', async () => {
    const accountId = newAccount();
    const responses = await Promise.all(
      Array.from({ length: 103 }, (_, i) =>
        ctx.api('POST', path(accountId), { body: { ...validBody, url: `http://127.0.0.1:9/cap-${i}` } }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 422)).toHaveLength(3);
    const refused = responses.find((r) => r.status === 422)!;
    const message =
      'this account already has 100 webhooks, the most it may have; delete one before adding another';
    expect(refused.body).toEqual({
      error: 'webhook_limit_reached',
      message,
      problems: [{ field: '(root)', message }],
    });
    for (const r of responses) if (r.status === 200) secretsSeen.push(r.body.payload.webhook.secret);
    expect((await ctx.api('GET', path(accountId))).body.payload.webhooks).toHaveLength(100);
  });
});

describe('secret rotation', () => {
  it('returns a new secret and keeps the old one signing until the grace ends', async () => {
    const accountId = newAccount();
    const webhook = await ctx.newWebhook({ accountId });
    secretsSeen.push(webhook.secret);

    const rotated = await ctx.api('POST', path(accountId, `/${webhook.id}/rotate-secret`));
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.payload.webhook;
    secretsSeen.push(fresh.secret);
    expect(fresh.id).toBe(webhook.id);
    expect(fresh.secret).toMatch(/^whsec_/);
    expect(fresh.secret).not.toBe(webhook.secret);
    expect(Date.parse(fresh.previous_secret_expires_at!) - Date.parse(fresh.updated_at)).toBe(GRACE_MS);

    expect(ctx.registry.get(webhook.id)?.secrets).toEqual([fresh.secret, webhook.secret]);
    expect(ctx.registry.matching(accountId, 'message_created')[0].secrets).toEqual([
      fresh.secret,
      webhook.secret,
    ]);
    expect((await ctx.api('GET', path(accountId, `/${webhook.id}`))).text).not.toContain('whsec_');

    await waitFor('the old secret to stop signing', () => ctx.registry.get(webhook.id)?.secrets.length === 1);
    expect(ctx.registry.get(webhook.id)?.secrets).toEqual([fresh.secret]);
  });
});

describe('setEnabled (used by delivery on 410 Gone)', () => {
  it('disables and re-enables a webhook of any account, once per state', async () => {
    const accountId = newAccount();
    const webhook = await ctx.newWebhook({ accountId });
    secretsSeen.push(webhook.secret);

    const disabled = await ctx.webhooks.setEnabled(webhook.id, false, '410 Gone from endpoint');
    expect(disabled).toMatchObject({ enabled: false, disabledReason: '410 Gone from endpoint', version: 2 });
    expect(ctx.registry.get(webhook.id)).toBeUndefined();
    const shown = await ctx.api('GET', path(accountId, `/${webhook.id}`));
    expect(shown.body.payload.webhook).toMatchObject({
      enabled: false,
      disabled_reason: '410 Gone from endpoint',
    });

    // A second 410 in flight changes nothing.
    expect(await ctx.webhooks.setEnabled(webhook.id, false, '410 Gone from endpoint')).toMatchObject({
      version: 2,
    });

    const enabled = await ctx.webhooks.setEnabled(webhook.id, true, null);
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, version: 3 });
    expect(ctx.registry.get(webhook.id)).toBeDefined();

    expect(await ctx.webhooks.setEnabled('00000000-0000-4000-8000-000000000000', false, 'x')).toBeUndefined();
  });
});

describe('logs', () => {
  it('logged the registry load and every change, and never a secret', () => {
    const lines = logged
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'webhook registry loaded')).toMatchObject({ webhooks: 0 });
    expect(lines.filter((l) => l.msg === 'webhook created').length).toBeGreaterThan(100);
    expect(lines.some((l) => l.msg === 'webhook secret rotated')).toBe(true);
    expect(secretsSeen.length).toBeGreaterThan(100);
    const text = logged.join('');
    for (const secret of secretsSeen) expect(text).not.toContain(secret.slice('whsec_'.length));
    expect(text).not.toContain('whsec_');
  });
});
