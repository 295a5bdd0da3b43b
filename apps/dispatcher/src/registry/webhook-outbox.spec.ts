import { randomBytes } from 'node:crypto';
import { decodeDeliveryRecord, generateSecret } from '@vowchat/events';
import { parseSecretKeys, SecretBox } from '../secrets/secret-box';
import { decodeWebhookChange, deleteChange, upsertChange, type Webhook } from './webhook-change';
import { groupByKind, outboxRecord, stateOutboxRecord, webhookStateRecord } from './webhook-outbox';
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
    expect(record).toMatchObject({ kind: 'webhook_change', webhookId: w.id, version: 4, key: w.id });
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

describe('webhookStateRecord', () => {
  const at = new Date('2024-01-15T10:00:05Z');

  it('records a disable with its reason, an enable as "enabled", each a valid delivery-topic record', () => {
    const disabled = webhookStateRecord(
      webhook({ enabled: false, disabledReason: 'endpoint answered 410 Gone' }),
      at,
    );
    expect(disabled).toMatchObject({
      kind: 'webhook_state',
      webhook_id: webhook().id,
      account_id: 7,
      enabled: false,
      reason: 'endpoint answered 410 Gone',
      at: '2024-01-15T10:00:05.000Z',
    });
    expect(webhookStateRecord(webhook(), at).reason).toBe('enabled');
    expect(decodeDeliveryRecord(JSON.stringify(disabled))).toEqual({ ok: true, record: disabled });
  });

  it('derives its id from the webhook and the version: the same fact, the same id; another version, another', () => {
    const a = webhookStateRecord(webhook({ enabled: false, version: 5 }), at);
    const again = webhookStateRecord(webhook({ enabled: false, version: 5 }), new Date());
    const next = webhookStateRecord(webhook({ enabled: true, version: 6 }), at);
    const other = webhookStateRecord(webhook({ id: '0b5c7c3e-8a52-4a8e-9d7f-2f6f3e0e1a02', version: 5 }), at);
    expect(a.state_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(again.state_id).toBe(a.state_id);
    expect(next.state_id).not.toBe(a.state_id);
    expect(other.state_id).not.toBe(a.state_id);
  });
});

describe('stateOutboxRecord', () => {
  it('holds the record as the delivery topic carries it, keyed by webhook, at the version it came with', () => {
    const record = webhookStateRecord(
      webhook({ enabled: false, disabledReason: 'disabled through the API' }),
      new Date(),
    );
    const row = stateOutboxRecord(record, 5);
    expect(row).toEqual({
      kind: 'webhook_state',
      webhookId: record.webhook_id,
      version: 5,
      key: record.webhook_id,
      value: JSON.stringify(record),
    });
  });
});

describe('groupByKind', () => {
  it('splits rows by kind, keeping their order within each, groups in order of first appearance', () => {
    const rows = [
      { kind: 'webhook_state' as const, n: 1 },
      { kind: 'webhook_change' as const, n: 2 },
      { kind: 'webhook_state' as const, n: 3 },
      { kind: 'webhook_change' as const, n: 4 },
    ];
    expect(groupByKind(rows)).toEqual([
      ['webhook_state', [rows[0], rows[2]]],
      ['webhook_change', [rows[1], rows[3]]],
    ]);
    expect(groupByKind([])).toEqual([]);
  });
});
