import {
  decodeWebhookChange,
  deleteChange,
  encodeWebhookChange,
  upsertChange,
  type Webhook,
} from './webhook-change';

const webhook: Webhook = {
  id: 'a0000000-0000-4000-8000-000000000001',
  accountId: 11,
  name: 'CRM',
  url: 'https://hooks.example.com/a',
  subscriptions: ['message_created', 'conversation_created'],
  secret: 'whsec_current',
  previousSecret: 'whsec_old',
  previousSecretExpiresAt: new Date('2025-01-02T00:00:00.000Z'),
  enabled: false,
  disabledReason: '410 Gone from endpoint',
  rateLimitPerSecond: 25,
  version: 3,
  createdAt: new Date('2025-01-01T00:00:00.000Z'),
  updatedAt: new Date('2025-01-01T12:00:00.000Z'),
};

describe('webhook change records', () => {
  it('carries the row, snake_case, keyed by webhook id, and decodes back to the same webhook', () => {
    const message = encodeWebhookChange(upsertChange(webhook));
    expect(message.key).toBe(webhook.id);
    expect(JSON.parse(message.value)).toEqual({
      id: webhook.id,
      account_id: 11,
      name: 'CRM',
      url: 'https://hooks.example.com/a',
      subscriptions: ['message_created', 'conversation_created'],
      secret: 'whsec_current',
      previous_secret: 'whsec_old',
      previous_secret_expires_at: '2025-01-02T00:00:00.000Z',
      enabled: false,
      disabled_reason: '410 Gone from endpoint',
      rate_limit_per_second: 25,
      version: 3,
      created_at: '2025-01-01T00:00:00.000Z',
      updated_at: '2025-01-01T12:00:00.000Z',
    });
    expect(decodeWebhookChange(message.key, message.value)).toEqual({
      ok: true,
      change: upsertChange(webhook),
    });
  });

  it('carries a delete as a tombstone value with its version', () => {
    const message = encodeWebhookChange(deleteChange(webhook));
    expect(JSON.parse(message.value)).toEqual({ id: webhook.id, account_id: 11, deleted: true, version: 4 });
    expect(decodeWebhookChange(message.key, message.value)).toEqual({
      ok: true,
      change: { kind: 'delete', id: webhook.id, accountId: 11, version: 4 },
    });
  });

  it('round-trips a webhook with no previous secret', () => {
    const plain = { ...webhook, previousSecret: null, previousSecretExpiresAt: null, name: null };
    const message = encodeWebhookChange(upsertChange(plain));
    expect(decodeWebhookChange(message.key, message.value)).toEqual({
      ok: true,
      change: upsertChange(plain),
    });
  });

  it('reads a record written before rate limits as the default rate (null)', () => {
    const value = JSON.parse(encodeWebhookChange(upsertChange(webhook)).value);
    delete value.rate_limit_per_second;
    const decoded = decodeWebhookChange(webhook.id, JSON.stringify(value));
    expect(decoded).toEqual({ ok: true, change: upsertChange({ ...webhook, rateLimitPerSecond: null }) });
  });

  it('refuses a rate that is not a positive integer', () => {
    const value = JSON.parse(encodeWebhookChange(upsertChange(webhook)).value);
    for (const bad of [0, -5, 1.5, '20']) {
      value.rate_limit_per_second = bad;
      expect(decodeWebhookChange(webhook.id, JSON.stringify(value))).toEqual({
        ok: false,
        reason: 'rate_limit_per_second must be a positive integer, null or absent',
      });
    }
  });

  it('drops subscription names this build does not know', () => {
    const value = JSON.parse(encodeWebhookChange(upsertChange(webhook)).value);
    value.subscriptions = ['message_created', 'invoice_paid'];
    const decoded = decodeWebhookChange(null, JSON.stringify(value));
    expect(decoded.ok && decoded.change.kind === 'upsert' && decoded.change.webhook.subscriptions).toEqual([
      'message_created',
    ]);
  });

  it.each([
    [null, 'value is empty (null)'],
    ['{not json', 'value is not JSON'],
    ['[1]', 'value is not a JSON object'],
    ['{"id":"x","account_id":"11","deleted":true,"version":1}', 'account_id must be a positive integer'],
    ['{"id":"x","account_id":11,"deleted":true,"version":0}', 'version must be a positive integer'],
    ['{"id":"x","account_id":11,"version":1}', 'url must be a string'],
  ])('refuses %s with a reason', (value, reason) => {
    const decoded = decodeWebhookChange(null, value);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.reason).toContain(reason);
  });

  it('says every problem of a record, in the order of its fields, the key after the identity', () => {
    const value = { id: 'x', account_id: 0, version: 1, subscriptions: ['a', 7], deleted: false };
    expect(decodeWebhookChange('y', JSON.stringify(value))).toEqual({
      ok: false,
      reason: [
        'account_id must be a positive integer',
        'record key "y" does not match id "x"',
        'url must be a string',
        'subscriptions must be an array of strings',
        'secret must be a non-empty string',
        'previous_secret must be a string or null',
        'previous_secret_expires_at must be an ISO time or null',
        'enabled must be a boolean',
        'name must be a string or null',
        'disabled_reason must be a string or null',
        'created_at must be an ISO time',
        'updated_at must be an ISO time',
      ].join('; '),
    });
  });

  it('reads a sealed secret and a plaintext one written before secrets were sealed alike (as text)', () => {
    const value = JSON.parse(encodeWebhookChange(upsertChange(webhook)).value);
    for (const secret of ['whsec_plain', 'v1:k1:aXY:Y2lwaGVy']) {
      const decoded = decodeWebhookChange(webhook.id, JSON.stringify({ ...value, secret }));
      expect(decoded.ok && decoded.change.kind === 'upsert' && decoded.change.webhook.secret).toBe(secret);
    }
  });

  it('refuses a record whose key is not its id', () => {
    const message = encodeWebhookChange(upsertChange(webhook));
    expect(decodeWebhookChange('another-id', message.value)).toEqual({
      ok: false,
      reason: `record key "another-id" does not match id "${webhook.id}"`,
    });
  });
});
