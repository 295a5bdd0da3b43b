// The outbox of webhook changes on the real Postgres and Kafka: a change whose publish fails right
// after its commit still reaches the other instances' registries, through the relay, without a
// restart; an enable/disable whose state record fails to publish still reaches the delivery topic,
// in order, and is projected once however often it is published; and the outbox table's relay
// takes due rows in order, one relay per row.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { decodeDeliveryRecord, generateSecret, type WebhookStateRecord } from '@vowchat/events';
import { createDataSource, migrate } from '../apps/dispatcher/src/database/data-source';
import { parseSecretKeys, SecretBox } from '../apps/dispatcher/src/secrets/secret-box';
import { writeProjection } from '../apps/dispatcher/src/outcomes/outcome-projector';
import { toProjectionRows, type PositionedRecord } from '../apps/dispatcher/src/outcomes/projection-rows';
import { upsertChange, type Webhook } from '../apps/dispatcher/src/registry/webhook-change';
import { WebhookChangePublisher } from '../apps/dispatcher/src/registry/webhook-changes.publisher';
import { webhookStateRecord } from '../apps/dispatcher/src/registry/webhook-outbox';
import {
  WebhookOutboxRepository,
  type RelayedRecord,
} from '../apps/dispatcher/src/registry/webhook-outbox.repository';
import { cleanUpDispatcherEnv, DispatcherContext, dispatcherTestEnv } from './support/dispatcher-context';
import { DATABASE_URL, dropSchema, newSchemaName } from './support/infra';
import { waitFor } from './support/wait-for';

describe('a change whose publish fails after its commit', () => {
  const env = dispatcherTestEnv();
  let a: DispatcherContext;
  let b: DispatcherContext;

  beforeAll(async () => {
    a = await DispatcherContext.start(env);
    b = await DispatcherContext.start(env);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await cleanUpDispatcherEnv(env);
  });

  afterEach(() => jest.restoreAllMocks());

  const rowsOf = async (ctx: DispatcherContext, webhookId: string) => {
    const [{ n }] = await ctx.app
      .get(DataSource)
      .query<{ n: number }[]>('SELECT count(*)::int AS n FROM webhook_outbox WHERE webhook_id = $1', [
        webhookId,
      ]);
    return n;
  };

  /** A's fast path fails as if Kafka were away; A's relay and B's still publish. */
  const failFastPath = () =>
    jest
      .spyOn(a.app.get(WebhookChangePublisher), 'publish')
      .mockRejectedValue(new Error('KafkaJSConnectionError: broker unreachable (test)'));

  it('publishes at once when it can, leaving nothing in the outbox', async () => {
    const webhook = await a.newWebhook({ accountId: 21 });
    expect(await rowsOf(a, webhook.id)).toBe(0);
    await waitFor('B to see the webhook', () => b.registry.get(webhook.id));
  });

  it('is answered as done, applied here at once, and reaches B through the outbox relay', async () => {
    const publish = failFastPath();
    const webhook = await a.newWebhook({ accountId: 22, subscriptions: ['message_created'] });
    expect(publish).toHaveBeenCalledTimes(1);
    expect(a.registry.get(webhook.id)?.url).toBe(webhook.url);
    expect(await rowsOf(a, webhook.id)).toBe(1);

    const seen = await waitFor('B to see the webhook through the relay', () => b.registry.get(webhook.id));
    expect(seen.secrets).toEqual([webhook.secret]);
    await waitFor('the relay to delete its row', async () => (await rowsOf(a, webhook.id)) === 0);

    // Changed, then deleted, each publish failing too: B follows both.
    const patched = await a.api('PATCH', `/api/v1/accounts/22/webhooks/${webhook.id}`, {
      body: { subscriptions: ['message_updated'] },
    });
    expect(patched.status).toBe(200);
    await waitFor(
      'B to see the new subscriptions',
      () => b.registry.matching(22, 'message_updated').length === 1,
    );
    const deleted = await a.api('DELETE', `/api/v1/accounts/22/webhooks/${webhook.id}`);
    expect(deleted.status).toBe(200);
    await waitFor('B to drop the deleted webhook', () => b.registry.get(webhook.id) === undefined);
    expect(b.registry.versionOf(webhook.id)).toBe(3);
    expect(publish).toHaveBeenCalledTimes(3);
  });

  it('puts only sealed secrets on the topic through the relay', async () => {
    failFastPath();
    const webhook = await a.newWebhook({ accountId: 23 });
    await waitFor('B to see the webhook through the relay', () => b.registry.get(webhook.id));

    const kafka = new Kafka({ brokers: a.config.kafka.brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `${a.config.kafka.groupId}-outbox-check` });
    const values: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: a.config.topics.webhooks, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() === webhook.id) values.push(message.value!.toString());
        },
      });
      await waitFor('the relayed record', () => values.length > 0);
    } finally {
      await consumer.disconnect();
    }
    for (const value of values) {
      expect(value).not.toContain(webhook.secret);
      expect((JSON.parse(value) as { secret: string }).secret).toMatch(/^v1:/);
    }
  });
});

describe('an enable/disable whose state record fails to publish after its commit', () => {
  const env = dispatcherTestEnv();
  let a: DispatcherContext;
  let b: DispatcherContext;

  beforeAll(async () => {
    a = await DispatcherContext.start(env);
    b = await DispatcherContext.start(env); // a second relay, as in production
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await cleanUpDispatcherEnv(env);
  });

  afterEach(() => jest.restoreAllMocks());

  const stateRowsOf = async (webhookId: string) => {
    const [{ n }] = await a.app
      .get(DataSource)
      .query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM webhook_outbox WHERE webhook_id = $1 AND kind = 'webhook_state'`,
        [webhookId],
      );
    return n;
  };

  /** The webhook's state records on the delivery topic, in topic order, with their header and position. */
  async function stateRecordsOf(webhookId: string, count: number) {
    const kafka = new Kafka({ brokers: a.config.kafka.brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `${a.config.kafka.groupId}-state-check-${webhookId}` });
    const seen: (PositionedRecord & { header: string | undefined })[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: a.config.topics.deliveries, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          if (message.key?.toString() !== webhookId) return;
          const decoded = decodeDeliveryRecord(message.value);
          if (!decoded.ok || decoded.record.kind !== 'webhook_state') return;
          const header = message.headers?.['vowchat-record-kind']?.toString();
          seen.push({ partition, offset: message.offset, record: decoded.record, header });
        },
      });
      await waitFor(`${count} state records of the webhook`, () => seen.length >= count);
    } finally {
      await consumer.disconnect();
    }
    return seen;
  }

  it('reaches the delivery topic through the relay, in order behind an older one, and is projected once', async () => {
    const publishState = jest
      .spyOn(a.app.get(WebhookChangePublisher), 'publishState')
      .mockRejectedValue(new Error('KafkaJSConnectionError: broker unreachable (test)'));
    const webhook = await a.newWebhook({ accountId: 24 });

    const disabled = await a.api('PATCH', `/api/v1/accounts/24/webhooks/${webhook.id}`, {
      body: { enabled: false },
    });
    expect(disabled.status).toBe(200);
    expect(publishState).toHaveBeenCalledTimes(1);
    // The change itself went out (its row is gone); the state record waits in the outbox.
    await waitFor('B to see the webhook disabled', () => b.registry.versionOf(webhook.id) === 2);
    expect(await stateRowsOf(webhook.id)).toBe(1);

    // Kafka is back for the fast path, but the enable's record must not overtake the disable's:
    // it is left to the relay too, which publishes both, oldest first.
    publishState.mockRestore();
    const fastPublish = jest.spyOn(a.app.get(WebhookChangePublisher), 'publishState');
    const enabled = await a.webhooks.setEnabled(webhook.id, true, null);
    expect(enabled?.enabled).toBe(true);
    expect(fastPublish).not.toHaveBeenCalled();
    expect(await stateRowsOf(webhook.id)).toBe(2);

    const records = await stateRecordsOf(webhook.id, 2);
    await waitFor('the relay to delete the state rows', async () => (await stateRowsOf(webhook.id)) === 0);
    const states = records.map((r) => r.record as WebhookStateRecord);
    expect(states.map((s) => [s.enabled, s.reason])).toEqual([
      [false, 'disabled through the API'],
      [true, 'enabled'],
    ]);
    expect(records.map((r) => r.header)).toEqual(['webhook_state', 'webhook_state']);
    expect(states[0].state_id).toBe(
      webhookStateRecord({ ...enabled!, enabled: false, version: 2 }, new Date()).state_id,
    );

    // The same records published again (a fast publish slower than the relay): one row each.
    const dataSource = a.app.get(DataSource);
    const again = records.map((r, i) => ({ ...r, offset: String(1_000_000 + i) }));
    await writeProjection(dataSource, toProjectionRows(records));
    await writeProjection(dataSource, toProjectionRows([...again, ...records]));
    const rows = await dataSource.query<{ state: string; reason: string }[]>(
      `SELECT state, reason FROM webhook_state_events WHERE webhook_id = $1 ORDER BY source_offset`,
      [webhook.id],
    );
    expect(rows).toEqual([
      { state: 'disabled', reason: 'disabled through the API' },
      { state: 'enabled', reason: 'enabled' },
    ]);
  });
});

describe('the outbox table', () => {
  const schema = newSchemaName();
  const box = new SecretBox(parseSecretKeys(`k1:${randomBytes(32).toString('base64')}`).keys);
  // Two instances: each its own pool.
  let one: DataSource;
  let two: DataSource;
  let outboxOne: WebhookOutboxRepository;
  let outboxTwo: WebhookOutboxRepository;

  beforeAll(async () => {
    one = createDataSource({ url: DATABASE_URL, schema });
    two = createDataSource({ url: DATABASE_URL, schema });
    await one.initialize();
    await two.initialize();
    await migrate(one, schema);
    outboxOne = new WebhookOutboxRepository(one, box);
    outboxTwo = new WebhookOutboxRepository(two, box);
  });

  afterAll(async () => {
    for (const d of [one, two]) if (d?.isInitialized) await d.destroy();
    await dropSchema(schema);
  });

  afterEach(async () => {
    await one.query('DELETE FROM webhook_outbox');
  });

  let n = 0;
  function newWebhook(): Webhook {
    const at = new Date();
    return {
      id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
      accountId: 5,
      name: null,
      url: `http://127.0.0.1:9/${n}`,
      subscriptions: ['message_created'],
      secret: generateSecret(),
      previousSecret: null,
      previousSecretExpiresAt: null,
      enabled: true,
      disabledReason: null,
      rateLimitPerSecond: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
  }

  async function add(...webhooks: Webhook[]): Promise<void> {
    await one.transaction(async (m) => {
      for (const w of webhooks) await outboxOne.add(m, upsertChange(w));
    });
  }

  it('relays due rows oldest first and deletes them; rows younger than the age are left to the fast path', async () => {
    const hooks = [newWebhook(), newWebhook(), newWebhook()];
    await add(...hooks);

    const nothing: RelayedRecord[][] = [];
    expect(await outboxOne.relay(60_000, 10, async (records) => void nothing.push(records))).toBe(0);
    expect(nothing).toEqual([]);

    const published: RelayedRecord[][] = [];
    expect(await outboxOne.relay(0, 10, async (records) => void published.push(records))).toBe(3);
    expect(published.map((batch) => batch.map((r) => r.key))).toEqual([hooks.map((w) => w.id)]);
    expect(await outboxOne.pending()).toBe(0);
  });

  it('keeps the rows when the publish fails, for the next attempt', async () => {
    await add(newWebhook());
    await expect(
      outboxOne.relay(0, 10, async () => {
        throw new Error('broker unreachable');
      }),
    ).rejects.toThrow('broker unreachable');
    expect(await outboxOne.pending()).toBe(1);
  });

  it('never hands one row to two relays: a row being published is skipped by the other', async () => {
    const [first, second] = [newWebhook(), newWebhook()];
    await add(first);

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let taken!: () => void;
    const takenByOne = new Promise<void>((resolve) => (taken = resolve));
    const byOne: string[] = [];
    const relayOne = outboxOne.relay(0, 10, async (records) => {
      byOne.push(...records.map((r) => r.key));
      taken();
      await held; // one is still publishing
    });
    await takenByOne;

    await add(second);
    const byTwo: string[] = [];
    expect(
      await outboxTwo.relay(0, 10, async (records) => void byTwo.push(...records.map((r) => r.key))),
    ).toBe(1);
    release();
    expect(await relayOne).toBe(1);

    expect(byOne).toEqual([first.id]);
    expect(byTwo).toEqual([second.id]);
    expect(await outboxOne.pending()).toBe(0);
  });

  async function addState(w: Webhook): Promise<void> {
    await one.transaction(async (m) => {
      await outboxOne.addState(m, webhookStateRecord(w, new Date()), w.version);
    });
  }

  const kindsLeft = async () =>
    (
      await one.query<{ kind: string; version: number }[]>(
        'SELECT kind, version FROM webhook_outbox ORDER BY seq',
      )
    ).map((r) => `${r.kind}@${r.version}`);

  it('never deletes a state row as superseded by a later change, nor a change row with a state', async () => {
    const w = newWebhook();
    const disabled = { ...w, version: 2, enabled: false, disabledReason: 'disabled through the API' };
    await add(disabled);
    await addState(disabled);
    await add({ ...w, version: 3 });

    await outboxTwo.published(upsertChange({ ...w, version: 3 }));
    expect(await kindsLeft()).toEqual(['webhook_state@2']);

    await add({ ...w, version: 4 });
    await outboxTwo.statePublished(w.id, 2);
    expect(await kindsLeft()).toEqual(['webhook_change@4']);
  });

  it("relays a webhook's state rows oldest first, even when another relay holds the older one", async () => {
    const w = newWebhook();
    const other = newWebhook();
    const off = { ...w, version: 2, enabled: false, disabledReason: 'disabled through the API' };
    await addState(off);
    await addState({ ...w, version: 3 });
    await addState(other);
    expect(await outboxOne.stateIsNext(w.id, 2)).toBe(true);
    expect(await outboxOne.stateIsNext(w.id, 3)).toBe(false);

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let taken!: () => void;
    const takenByOne = new Promise<void>((resolve) => (taken = resolve));
    const relayOne = outboxOne.relay(0, 1, async () => {
      taken();
      await held; // one is still publishing the older row
    });
    await takenByOne;

    const byTwo: RelayedRecord[] = [];
    expect(await outboxTwo.relay(0, 10, async (records) => void byTwo.push(...records))).toBe(1);
    expect(byTwo.map((r) => [r.kind, r.key])).toEqual([['webhook_state', other.id]]);
    release();
    expect(await relayOne).toBe(1);

    const next: RelayedRecord[] = [];
    expect(await outboxTwo.relay(0, 10, async (records) => void next.push(...records))).toBe(1);
    expect((JSON.parse(next[0].value) as WebhookStateRecord).enabled).toBe(true);
    expect(await outboxOne.pending()).toBe(0);
  });

  it('lets the fast path delete its row and the older rows of its webhook it supersedes', async () => {
    const w = newWebhook();
    const other = newWebhook();
    await add(w, { ...w, version: 2 }, other);
    await outboxTwo.published(upsertChange({ ...w, version: 2 }));
    const left = await one.query<{ webhook_id: string }[]>('SELECT webhook_id FROM webhook_outbox');
    expect(left.map((r) => r.webhook_id)).toEqual([other.id]);
  });
});
