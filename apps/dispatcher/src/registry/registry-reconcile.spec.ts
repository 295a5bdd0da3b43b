import type { Webhook } from './webhook-change';
import { deleteChange, upsertChange } from './webhook-change';
import { WebhookIndex } from './webhook-index';
import { reconcileWithDatabase } from './registry-reconcile';

const T0 = new Date('2025-01-01T00:00:00Z');

function webhook(id: string, overrides: Partial<Webhook> = {}): Webhook {
  return {
    id,
    accountId: 11,
    name: null,
    url: `https://hooks.example.com/${id}`,
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

/** A registry loaded from the topic alone, reconciled with what Postgres holds. */
function reconciled(fromTopic: Webhook[], inDatabase: Webhook[]): WebhookIndex {
  const index = new WebhookIndex();
  for (const w of fromTopic) index.apply(upsertChange(w));
  for (const change of reconcileWithDatabase(index.held(), inDatabase)) index.apply(change);
  return index;
}

const matched = (index: WebhookIndex) =>
  index
    .matching(11, 'message_created', T0)
    .map((t) => t.url)
    .sort();

describe('reconcileWithDatabase', () => {
  it('drops a webhook the topic still holds but Postgres has deleted, for good', () => {
    const index = reconciled([webhook('w1'), webhook('w2')], [webhook('w1')]);
    expect(index.held()).toEqual([{ id: 'w1', accountId: 11 }]);
    // A stale record of it read later from the topic does not bring it back.
    expect(index.apply(upsertChange(webhook('w2', { version: 99 })))).toBe(false);
  });

  it('takes the newer version from Postgres and keeps a newer one from the topic', () => {
    const index = reconciled(
      [webhook('w1', { version: 2 }), webhook('w2', { version: 5, url: 'https://hooks.example.com/topic' })],
      [
        webhook('w1', { version: 3, url: 'https://hooks.example.com/database' }),
        webhook('w2', { version: 4 }),
      ],
    );
    expect(matched(index)).toEqual(['https://hooks.example.com/database', 'https://hooks.example.com/topic']);
  });

  it('adds what only Postgres holds, and keeps a tombstone the topic delivered', () => {
    const index = new WebhookIndex();
    index.apply(upsertChange(webhook('w1')));
    index.apply(deleteChange(webhook('w1')));
    for (const change of reconcileWithDatabase(index.held(), [webhook('w1'), webhook('w3')]))
      index.apply(change);
    expect(index.held()).toEqual([{ id: 'w3', accountId: 11 }]);
  });
});
