// The in-memory registry across dispatcher instances sharing one database and one webhooks topic:
// a change made through one instance reaches the others' registries through the compacted topic, and
// a restarted instance rebuilds its registry from Postgres.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { generateSecret } from '@vowchat/events';
import { encodeWebhookChange, upsertChange } from '../apps/dispatcher/src/registry/webhook-change';
import { WebhookEntity } from '../apps/dispatcher/src/registry/webhook.entity';
import { WebhookRepository } from '../apps/dispatcher/src/registry/webhook.repository';
import { cleanUpDispatcherEnv, DispatcherContext, dispatcherTestEnv } from './support/dispatcher-context';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

const env = dispatcherTestEnv();
let a: DispatcherContext;
let b: DispatcherContext | undefined;

beforeAll(async () => {
  a = await DispatcherContext.start(env);
  b = await DispatcherContext.start(env);
}, 60_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
  await cleanUpDispatcherEnv(env);
}, 60_000);

const ids = (targets: { id: string }[]) => targets.map((t) => t.id);

it("applies a webhook created, changed, disabled and deleted through A to B's registry", async () => {
  const other = b!;
  const webhook = await a.newWebhook({ accountId: 7, subscriptions: ['message_created'] });

  const seen = await waitFor('B to see the new webhook', () => other.registry.get(webhook.id));
  expect(seen).toEqual({
    id: webhook.id,
    accountId: 7,
    url: webhook.url,
    subscriptions: new Set(['message_created']),
    secrets: [webhook.secret],
    rateLimitPerSecond: null,
  });
  expect(ids(other.registry.matching(7, 'message_created'))).toEqual([webhook.id]);

  await a.api('PATCH', `/api/v1/accounts/7/webhooks/${webhook.id}`, {
    body: { subscriptions: ['message_updated'] },
  });
  await waitFor(
    'B to see the new subscriptions',
    () => other.registry.matching(7, 'message_updated').length === 1,
  );
  expect(other.registry.matching(7, 'message_created')).toEqual([]);

  await a.webhooks.setEnabled(webhook.id, false, '410 Gone from endpoint');
  await waitFor('B to drop the disabled webhook', () => other.registry.get(webhook.id) === undefined);
  expect(other.registry.matching(7, 'message_updated')).toEqual([]);
  await a.webhooks.setEnabled(webhook.id, true, null);
  await waitFor('B to take the re-enabled webhook back', () => other.registry.get(webhook.id));

  const deleted = await a.api('DELETE', `/api/v1/accounts/7/webhooks/${webhook.id}`);
  expect(deleted.status).toBe(200);
  await waitFor('B to drop the deleted webhook', () => other.registry.get(webhook.id) === undefined);
  expect(other.registry.matching(7, 'message_updated')).toEqual([]);
  expect(other.registry.versionOf(webhook.id)).toBe(5);
});

it("applies a webhook's rate limit changed through A to B's registry (what B's share is cut from)", async () => {
  const webhook = await a.newWebhook({ accountId: 8 });
  await waitFor('B to see the new webhook', () => b!.registry.get(webhook.id));
  expect(b!.registry.get(webhook.id)?.rateLimitPerSecond).toBeNull();
  await a.api('PATCH', `/api/v1/accounts/8/webhooks/${webhook.id}`, { body: { rate_limit_per_second: 25 } });
  await waitFor('B to see the new rate', () => b!.registry.get(webhook.id)?.rateLimitPerSecond === 25);
});

it("applies B's rotation to A, so both sign with both secrets during the grace", async () => {
  const webhook = await a.newWebhook({ accountId: 8 });
  await waitFor('B to see the webhook', () => b!.registry.get(webhook.id));
  const rotated = await b!.api('POST', `/api/v1/accounts/8/webhooks/${webhook.id}/rotate-secret`);
  const fresh: string = rotated.body.payload.webhook.secret;
  await waitFor('A to sign with the new secret', () => a.registry.get(webhook.id)?.secrets[0] === fresh);
  expect(a.registry.get(webhook.id)?.secrets).toEqual([fresh, webhook.secret]);
  expect(b!.registry.get(webhook.id)?.secrets).toEqual([fresh, webhook.secret]);
});

it('rebuilds a restarted instance from Postgres, without resurrecting deleted webhooks', async () => {
  const kept = await a.newWebhook({ accountId: 9, subscriptions: ['conversation_created'] });
  const removed = await a.newWebhook({ accountId: 9, subscriptions: ['conversation_created'] });
  await waitFor('B to see both', () => b!.registry.get(kept.id) && b!.registry.get(removed.id));
  await b!.close();
  b = undefined;

  // While B is down: one webhook deleted through A, and one row written to Postgres by the
  // repository alone (its outbox row is relayed only after 5 s), which B at once can only know from
  // the database.
  await a.api('DELETE', `/api/v1/accounts/9/webhooks/${removed.id}`);
  const now = new Date();
  const unpublished = Object.assign(new WebhookEntity(), {
    id: randomUUID(),
    accountId: 9,
    name: null,
    url: 'http://127.0.0.1:9/db-only',
    subscriptions: ['conversation_created'],
    secret: generateSecret(),
    previousSecret: null,
    previousSecretExpiresAt: null,
    enabled: true,
    disabledReason: null,
    rateLimitPerSecond: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  } satisfies WebhookEntity);
  expect(await a.app.get(WebhookRepository).insertWithinLimit(unpublished, 100)).toBe(true);

  b = await DispatcherContext.start(env);
  const restarted = b;
  // Loaded at boot, before the app answered: no waiting.
  expect(restarted.registry.get(kept.id)?.secrets).toEqual([kept.secret]);
  expect(restarted.registry.get(unpublished.id)?.url).toBe('http://127.0.0.1:9/db-only');
  expect(restarted.registry.get(removed.id)).toBeUndefined();
  await expect(restarted.registry.whenLoaded()).resolves.toBeUndefined();

  // Replaying the topic brings back the removed webhook's history (created, then deleted): once its
  // records are read, it must still be gone.
  await waitFor(
    'B to replay the removed webhook',
    () => restarted.registry.versionOf(removed.id) !== undefined,
  );
  expect(restarted.registry.get(removed.id)).toBeUndefined();
  expect(ids(restarted.registry.matching(9, 'conversation_created')).sort()).toEqual(
    [kept.id, unpublished.id].sort(),
  );
});

it('ignores a row on the topic that Postgres does not have (a stale record after a delete)', async () => {
  const now = new Date();
  const ghost = {
    id: randomUUID(),
    accountId: 10,
    name: null,
    url: 'http://127.0.0.1:9/ghost',
    subscriptions: ['message_created' as const],
    secret: generateSecret(),
    previousSecret: null,
    previousSecretExpiresAt: null,
    enabled: true,
    disabledReason: null,
    rateLimitPerSecond: null,
    version: 3,
    createdAt: now,
    updatedAt: now,
  };
  const producer = new Kafka({ brokers: a.config.kafka.brokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    await producer.send({
      topic: a.config.topics.webhooks,
      messages: [encodeWebhookChange(upsertChange(ghost))],
    });
  } finally {
    await producer.disconnect();
  }
  for (const instance of [a, b!]) {
    await waitFor('the ghost record to be read', () => instance.registry.versionOf(ghost.id) !== undefined);
    expect(instance.registry.get(ghost.id)).toBeUndefined();
    expect(instance.registry.matching(10, 'message_created')).toEqual([]);
  }
});
