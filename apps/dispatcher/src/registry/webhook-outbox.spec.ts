import { randomBytes } from 'node:crypto';
import { generateSecret } from '@vowchat/events';
import { parseSecretKeys, SecretBox } from '../secrets/secret-box';
import { decodeWebhookChange, deleteChange, upsertChange, type Webhook } from './webhook-change';
import { outboxRecord } from './webhook-outbox';
import { openChange } from './webhook-secrets';

const box = new SecretBox(parseSecretKeys(`k1:${randomBytes(32).toString('base64')}`).keys);

function webhook(overrides: Partial<Webhook> = {}): Webhook {
  const at = new Date('2024-01-15T10:00:00Z');
  return {
    id: '0b5c7c3e-8a52-4a8e-9d7f-2f6f3e0e1a01',
    accountId: 7,
    name: 'orders',
    url: 'https://example.com/hook',
    subscriptions: ['message_created'],
    secret: generateSecret(),
    previousSecret: generateSecret(),
    previousSecretExpiresAt: new Date('2024-01-16T10:00:00Z'),
    enabled: true,
    disabledReason: null,
    rateLimitPerSecond: null,
    version: 4,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

describe('outboxRecord', () => {
  it('holds the topic record of an upsert, keyed and versioned by its webhook', () => {
    const w = webhook();
    const record = outboxRecord(upsertChange(w), box);
    expect(record).toMatchObject({ webhookId: w.id, version: 4, key: w.id });
    const decoded = decodeWebhookChange(record.key, record.value);
    expect(decoded.ok).toBe(true);
  });

  it('never holds a secret in plaintext: both are sealed, and open back to the change', () => {
    const w = webhook();
    const record = outboxRecord(upsertChange(w), box);
    expect(record.value).not.toContain(w.secret);
    expect(record.value).not.toContain(w.previousSecret);
    expect(record.value).not.toContain('whsec_');
    const decoded = decodeWebhookChange(record.key, record.value);
    if (!decoded.ok) throw new Error(decoded.reason);
    expect(openChange(decoded.change, box)).toEqual(upsertChange(w));
  });

  it("holds a delete's tombstone at the version past the row's last", () => {
    const record = outboxRecord(deleteChange({ id: webhook().id, accountId: 7, version: 4 }), box);
    expect(record).toMatchObject({ webhookId: webhook().id, version: 5 });
    expect(JSON.parse(record.value)).toEqual({ id: webhook().id, account_id: 7, deleted: true, version: 5 });
  });
});
