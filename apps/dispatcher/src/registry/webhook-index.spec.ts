import type { Webhook, WebhookChange } from './webhook-change';
import { deleteChange, upsertChange } from './webhook-change';
import { WebhookIndex } from './webhook-index';

const T0 = new Date('2025-01-01T00:00:00Z');

function webhook(overrides: Partial<Webhook> = {}): Webhook {
  return {
    id: 'a0000000-0000-4000-8000-000000000001',
    accountId: 11,
    name: null,
    url: 'https://hooks.example.com/a',
    subscriptions: ['message_created'],
    secret: 'whsec_current',
    previousSecret: null,
    previousSecretExpiresAt: null,
    enabled: true,
    disabledReason: null,
    rateLimitPerSecond: null,
    version: 1,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

const ids = (targets: { id: string }[]) => targets.map((t) => t.id).sort();

describe('WebhookIndex', () => {
  it('matches the enabled webhooks of the account subscribed to the type, and no others', () => {
    const index = new WebhookIndex();
    index.apply(upsertChange(webhook({ id: 'w1', subscriptions: ['message_created', 'message_updated'] })));
    index.apply(upsertChange(webhook({ id: 'w2', subscriptions: ['conversation_created'] })));
    index.apply(upsertChange(webhook({ id: 'w3', subscriptions: ['message_created'], enabled: false })));
    index.apply(upsertChange(webhook({ id: 'w4', accountId: 12, subscriptions: ['message_created'] })));

    expect(ids(index.matching(11, 'message_created', T0))).toEqual(['w1']);
    expect(ids(index.matching(11, 'conversation_created', T0))).toEqual(['w2']);
    expect(ids(index.matching(12, 'message_created', T0))).toEqual(['w4']);
    expect(index.matching(11, 'conversation_typing_on', T0)).toEqual([]);
    expect(index.matching(99, 'message_created', T0)).toEqual([]);
  });

  it('returns the target delivery needs', () => {
    const index = new WebhookIndex();
    index.apply(upsertChange(webhook({ subscriptions: ['message_created', 'message_updated'] })));
    const [target] = index.matching(11, 'message_created', T0);
    expect(target).toEqual({
      id: 'a0000000-0000-4000-8000-000000000001',
      accountId: 11,
      url: 'https://hooks.example.com/a',
      subscriptions: new Set(['message_created', 'message_updated']),
      secrets: ['whsec_current'],
      rateLimitPerSecond: null,
    });
    expect(index.get(target.id, T0)).toBe(target);
    index.apply(upsertChange(webhook({ version: 2, rateLimitPerSecond: 20 })));
    expect(index.get(target.id, T0)?.rateLimitPerSecond).toBe(20);
  });

  it('applies a newer version and ignores one that is older or equal', () => {
    const index = new WebhookIndex();
    expect(index.apply(upsertChange(webhook({ version: 2, url: 'https://v2.example.com/' })))).toBe(true);
    expect(index.apply(upsertChange(webhook({ version: 1, url: 'https://v1.example.com/' })))).toBe(false);
    expect(index.apply(upsertChange(webhook({ version: 2, url: 'https://v2-again.example.com/' })))).toBe(
      false,
    );
    expect(index.get(webhook().id, T0)?.url).toBe('https://v2.example.com/');
    expect(index.apply(upsertChange(webhook({ version: 3, url: 'https://v3.example.com/' })))).toBe(true);
    expect(index.get(webhook().id, T0)?.url).toBe('https://v3.example.com/');
    expect(index.versionOf(webhook().id)).toBe(3);
  });

  it('moves a webhook between type lists when its subscriptions change', () => {
    const index = new WebhookIndex();
    index.apply(upsertChange(webhook({ subscriptions: ['message_created'] })));
    index.apply(upsertChange(webhook({ version: 2, subscriptions: ['message_updated'] })));
    expect(index.matching(11, 'message_created', T0)).toEqual([]);
    expect(ids(index.matching(11, 'message_updated', T0))).toEqual([webhook().id]);
  });

  it('drops a disabled webhook from matching and get, and takes it back when re-enabled', () => {
    const index = new WebhookIndex();
    index.apply(upsertChange(webhook()));
    index.apply(
      upsertChange(webhook({ version: 2, enabled: false, disabledReason: '410 Gone from endpoint' })),
    );
    expect(index.matching(11, 'message_created', T0)).toEqual([]);
    expect(index.get(webhook().id, T0)).toBeUndefined();
    expect(index.size).toBe(1);
    index.apply(upsertChange(webhook({ version: 3, enabled: true })));
    expect(ids(index.matching(11, 'message_created', T0))).toEqual([webhook().id]);
  });

  it('keeps a tombstone so a stale upsert arriving after the delete cannot resurrect the webhook', () => {
    const index = new WebhookIndex();
    index.apply(upsertChange(webhook({ version: 4 })));
    const tombstone: WebhookChange = deleteChange({ id: webhook().id, accountId: 11, version: 4 });
    expect(tombstone).toEqual({ kind: 'delete', id: webhook().id, accountId: 11, version: 5 });
    expect(index.apply(tombstone)).toBe(true);
    expect(index.get(webhook().id, T0)).toBeUndefined();
    expect(index.matching(11, 'message_created', T0)).toEqual([]);
    expect(index.size).toBe(0);

    expect(index.apply(upsertChange(webhook({ version: 4 })))).toBe(false);
    expect(index.apply(upsertChange(webhook({ version: 5 })))).toBe(false);
    expect(index.get(webhook().id, T0)).toBeUndefined();
  });

  it('ignores a tombstone older than the row it holds', () => {
    const index = new WebhookIndex();
    index.apply(upsertChange(webhook({ version: 7 })));
    expect(index.apply({ kind: 'delete', id: webhook().id, accountId: 11, version: 6 })).toBe(false);
    expect(index.get(webhook().id, T0)).toBeDefined();
  });

  it('signs with the previous secret too until its grace ends, then with the current one only', () => {
    const index = new WebhookIndex();
    const expires = new Date(T0.getTime() + 60_000);
    index.apply(
      upsertChange(
        webhook({ secret: 'whsec_new', previousSecret: 'whsec_old', previousSecretExpiresAt: expires }),
      ),
    );
    const before = new Date(expires.getTime() - 1);
    expect(index.get(webhook().id, before)?.secrets).toEqual(['whsec_new', 'whsec_old']);
    expect(index.matching(11, 'message_created', before)[0].secrets).toEqual(['whsec_new', 'whsec_old']);
    expect(index.get(webhook().id, expires)?.secrets).toEqual(['whsec_new']);
    expect(index.matching(11, 'message_created', expires)[0].secrets).toEqual(['whsec_new']);
  });

  it('counts live webhooks', () => {
    const index = new WebhookIndex();
    index.apply(upsertChange(webhook({ id: 'w1' })));
    index.apply(upsertChange(webhook({ id: 'w2', accountId: 12 })));
    index.apply(upsertChange(webhook({ id: 'w2', accountId: 12, version: 2 })));
    expect(index.size).toBe(2);
    index.apply(deleteChange({ id: 'w1', accountId: 11, version: 1 }));
    expect(index.size).toBe(1);
  });

  it('counts disabled webhooks through disable, re-enable and delete', () => {
    const index = new WebhookIndex();
    index.apply(upsertChange(webhook({ id: 'w1', enabled: false })));
    index.apply(upsertChange(webhook({ id: 'w2' })));
    expect(index.disabledCount).toBe(1);
    index.apply(upsertChange(webhook({ id: 'w2', version: 2, enabled: false })));
    expect(index.disabledCount).toBe(2);
    index.apply(upsertChange(webhook({ id: 'w1', version: 2, enabled: true })));
    expect(index.disabledCount).toBe(1);
    index.apply(deleteChange({ id: 'w2', accountId: 11, version: 3 }));
    expect(index.disabledCount).toBe(0);
  });
});
