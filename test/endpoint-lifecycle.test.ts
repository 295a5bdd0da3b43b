// The endpoint health lifecycle end to end, with short configured periods: events published to
// Kafka, a real receiver answering as told, the transitions as delivery-topic records, in the
// health API, and as signed operational webhooks at the account's operations endpoint; the
// automatic disable, and delivery resuming once re-enabled through the API.
import {
  exampleEvent,
  verifyWebhook,
  type DeliveryTopicRecord,
  type EndpointLifecycleRecord,
  type OperationalEvent,
} from '@vowchat/events';
import type { EndpointHealthView } from '../apps/dispatcher/src/health/health.view';
import type { ReceivedRequest } from './support/receiver';
import { api, createWebhook, startSystem, type CreatedWebhook, type RunningSystem } from './support/system';
import { waitFor } from './support/wait-for';

const DISABLE_AFTER_MS = 5_000;
const WARNING_MS = 2_500;

describe('endpoint health lifecycle', () => {
  let system: RunningSystem;
  let hook: CreatedWebhook;
  let opsSecret: string;
  const accountId = 700_000 + Math.floor(Math.random() * 100_000);

  beforeAll(async () => {
    system = await startSystem({
      ENDPOINT_FAILING_AFTER_ATTEMPTS: '4',
      ENDPOINT_DISABLE_AFTER_MS: String(DISABLE_AFTER_MS),
      ENDPOINT_DISABLE_WARNING_MS: String(WARNING_MS),
      ENDPOINT_LIFECYCLE_CHECK_MS: '100',
      // Two attempts per retriable failure, so a 500 soon exhausts a delivery.
      RETRY_SCHEDULE_MS: '100',
      // The breaker would defer attempts instead of making them; this test counts attempts.
      BREAKER_VOLUME_THRESHOLD: '1000',
    });
  }, 60_000);

  afterAll(async () => {
    await system?.stop();
  });

  const base = () => system.dispatcher.baseUrl;
  const lifecycleRecords = (type?: string) =>
    system.outcomes.records.filter(
      (r): r is EndpointLifecycleRecord =>
        r.kind === 'endpoint_lifecycle' &&
        r.webhook_id === hook.id &&
        (type === undefined || r.type === type),
    );
  const attempts = () =>
    system.outcomes.records.filter(
      (r): r is Extract<DeliveryTopicRecord, { kind: 'attempt' }> =>
        r.kind === 'attempt' && r.webhook_id === hook.id,
    );
  const health = async () => {
    const { status, body } = await api<EndpointHealthView>(
      base(),
      'GET',
      `/api/v1/accounts/${accountId}/webhooks/${hook.id}/health?window=5m`,
    );
    expect(status).toBe(200);
    return body;
  };
  /** The operational webhooks received so far, each verified against the operations secret. */
  const operational = (): OperationalEvent[] =>
    system.receiver.requests('/ops').map((r: ReceivedRequest) => {
      const event = verifyWebhook(opsSecret, r.headers, r.rawBody) as OperationalEvent;
      expect(r.headers['x-vowchat-event']).toBe(event.type);
      return event;
    });
  const waitForOperational = (type: string, count = 1) =>
    waitFor(
      `${count} ${type} operational webhook(s)`,
      () => operational().filter((e) => e.type === type).length >= count,
      {
        timeoutMs: 20_000,
      },
    );
  /** Publishes one event and waits for its `n`-th attempt record (one at a time keeps attempts in order). */
  const publishAndWait = async (attemptsPerEvent = 1) => {
    const before = attempts().length;
    await system.publisher.publish(exampleEvent('message_created', { id: accountId, name: 'Lifecycle' }));
    await waitFor('the attempt record(s)', () => attempts().length >= before + attemptsPerEvent, {
      timeoutMs: 20_000,
    });
  };
  const waitForLifecycle = (what: string, check: (h: EndpointHealthView) => boolean) =>
    waitFor(`health lifecycle: ${what}`, async () => check(await health()), { timeoutMs: 20_000 });

  it('registers an operations endpoint whose secret is shown once', async () => {
    const path = `/api/v1/accounts/${accountId}/operations-webhook`;
    expect((await api(base(), 'GET', path)).status).toBe(404);
    const refused = await api<{ problems: { field: string }[] }>(base(), 'PUT', path, {
      url: 'ftp://example.com/x',
      extra: 1,
    });
    expect(refused.status).toBe(422);
    expect(refused.body.problems.map((p) => p.field).sort()).toEqual(['extra', 'url']);
    const created = await api(base(), 'PUT', path, { url: system.receiver.url('/ops-old') });
    expect(created.status).toBe(200);
    opsSecret = created.body.payload.operations_webhook.secret;
    expect(opsSecret).toMatch(/^whsec_/);
    const changed = await api(base(), 'PUT', path, { url: system.receiver.url('/ops') });
    expect(changed.body.payload.operations_webhook).toMatchObject({ url: system.receiver.url('/ops') });
    expect(changed.body.payload.operations_webhook).not.toHaveProperty('secret');
    expect((await api(base(), 'GET', path)).body.payload.operations_webhook.url).toBe(
      system.receiver.url('/ops'),
    );

    hook = await createWebhook(base(), accountId, system.receiver.url('/hook'), ['message_created']);
  });

  it('is not failing after 3 consecutive failures, and a success in between resets the count', async () => {
    system.receiver.behave('/hook', { kind: 'status', code: 400 });
    for (let i = 0; i < 3; i++) await publishAndWait();
    await waitForLifecycle('3 failures', (h) => h.lifecycle.consecutive_failures === 3);
    expect((await health()).lifecycle.state).toBe('healthy');

    system.receiver.behave('/hook', { kind: 'ok' });
    await publishAndWait();
    await waitForLifecycle('reset', (h) => h.lifecycle.consecutive_failures === 0);

    system.receiver.behave('/hook', { kind: 'status', code: 400 });
    for (let i = 0; i < 3; i++) await publishAndWait();
    await waitForLifecycle('3 failures again', (h) => h.lifecycle.consecutive_failures === 3);
    expect((await health()).lifecycle.state).toBe('healthy');
    expect(lifecycleRecords()).toEqual([]);
  }, 60_000);

  it('turns failing on the 4th consecutive failure: a record, the health API, a signed operational webhook', async () => {
    await publishAndWait();
    await waitFor(
      'endpoint.failing on the delivery topic',
      () => lifecycleRecords('endpoint.failing').length === 1,
      {
        timeoutMs: 20_000,
      },
    );
    const failures = attempts().slice(-4);
    const [record] = lifecycleRecords('endpoint.failing');
    expect(record).toMatchObject({
      state: 'failing',
      account_id: accountId,
      consecutive_failures: 4,
      failing_since: failures[0].finished_at,
      last_status_code: 400,
    });
    const h = await health();
    expect(h.lifecycle).toEqual({
      state: 'failing',
      consecutive_failures: 4,
      failing_since: failures[0].finished_at,
      disable_at: new Date(Date.parse(failures[0].finished_at) + DISABLE_AFTER_MS).toISOString(),
    });
    await waitForOperational('endpoint.failing');
    const event = operational().find((e) => e.type === 'endpoint.failing')!;
    expect(event).toMatchObject({
      timestamp: record.at,
      data: {
        webhook_id: hook.id,
        account_id: accountId,
        url: hook.url,
        state: 'failing',
        last_status_code: 400,
      },
    });
    expect(system.receiver.requests('/ops')[0].headers['webhook-id']).toBe(record.transition_id);
    const list = await api(base(), 'GET', `/api/v1/accounts/${accountId}/health?window=5m`);
    expect(list.body.webhooks[0].lifecycle).toMatchObject({ state: 'failing' });
  }, 60_000);

  it('recovers on the next success', async () => {
    system.receiver.behave('/hook', { kind: 'ok' });
    await publishAndWait();
    await waitFor('endpoint.recovered', () => lifecycleRecords('endpoint.recovered').length === 1, {
      timeoutMs: 20_000,
    });
    expect(lifecycleRecords('endpoint.recovered')[0]).toMatchObject({
      state: 'healthy',
      failing_since: null,
    });
    await waitForLifecycle(
      'healthy',
      (h) => h.lifecycle.state === 'healthy' && h.lifecycle.failing_since === null,
    );
    await waitForOperational('endpoint.recovered');
  }, 60_000);

  it('announces exhausted deliveries, warns before the disable, then disables the webhook automatically', async () => {
    system.receiver.behave('/hook', { kind: 'status', code: 500 });
    await publishAndWait(2);
    await publishAndWait(2);
    const dead = attempts().filter((a) => a.outcome === 'dead');
    expect(dead).toHaveLength(2);
    await waitForOperational('message.attempt.exhausted', 2);
    const exhausted = operational().filter((e) => e.type === 'message.attempt.exhausted');
    expect(exhausted.map((e) => (e.data as { delivery_id: string }).delivery_id).sort()).toEqual(
      dead.map((a) => a.delivery_id).sort(),
    );
    expect(exhausted[0].data).toMatchObject({
      webhook_id: hook.id,
      attempts: 2,
      last_attempt: { status_code: 500 },
    });

    await waitFor('failing again', () => lifecycleRecords('endpoint.failing').length === 2, {
      timeoutMs: 20_000,
    });
    const failingSince = Date.parse(lifecycleRecords('endpoint.failing')[1].failing_since!);

    await waitFor('endpoint.disabling_soon', () => lifecycleRecords('endpoint.disabling_soon').length === 1, {
      timeoutMs: 20_000,
    });
    const warning = lifecycleRecords('endpoint.disabling_soon')[0];
    expect(Date.parse(warning.at)).toBeGreaterThanOrEqual(failingSince + DISABLE_AFTER_MS - WARNING_MS);
    expect(Date.parse(warning.at)).toBeLessThan(failingSince + DISABLE_AFTER_MS);
    expect(warning).toMatchObject({
      state: 'disabling_soon',
      disable_at: new Date(failingSince + DISABLE_AFTER_MS).toISOString(),
    });
    expect((await health()).lifecycle.state).toBe('disabling_soon');
    await waitForOperational('endpoint.disabling_soon');

    await waitFor('endpoint.disabled', () => lifecycleRecords('endpoint.disabled').length === 1, {
      timeoutMs: 20_000,
    });
    const disabled = lifecycleRecords('endpoint.disabled')[0];
    expect(Date.parse(disabled.at)).toBeGreaterThanOrEqual(failingSince + DISABLE_AFTER_MS);
    expect(disabled.reason).toMatch(/^disabled automatically/);
    // The same domain operation as the API and 410 Gone: a webhook_state record, the webhook disabled.
    expect(
      system.outcomes.records.find(
        (r) => r.kind === 'webhook_state' && r.webhook_id === hook.id && !r.enabled,
      ),
    ).toMatchObject({ reason: disabled.reason });
    const webhook = await api(base(), 'GET', `/api/v1/accounts/${accountId}/webhooks/${hook.id}`);
    expect(webhook.body.payload.webhook).toMatchObject({ enabled: false, disabled_reason: disabled.reason });
    await waitForLifecycle('disabled', (h) => h.lifecycle.state === 'disabled' && !h.enabled);
    await waitForOperational('endpoint.disabled');
    // Each transition was announced once.
    expect(
      operational()
        .map((e) => e.type)
        .filter((t) => t.startsWith('endpoint.')),
    ).toEqual([
      'endpoint.failing',
      'endpoint.recovered',
      'endpoint.failing',
      'endpoint.disabling_soon',
      'endpoint.disabled',
    ]);
  }, 60_000);

  it('resumes delivery once re-enabled through PATCH', async () => {
    system.receiver.behave('/hook', { kind: 'ok' });
    const delivered = system.receiver.requests('/hook').length;
    await system.publisher.publish(exampleEvent('message_created', { id: accountId, name: 'Lifecycle' }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(system.receiver.requests('/hook').length).toBe(delivered); // disabled: nothing sent

    const patched = await api(base(), 'PATCH', `/api/v1/accounts/${accountId}/webhooks/${hook.id}`, {
      enabled: true,
    });
    expect(patched.body.payload.webhook.enabled).toBe(true);
    await waitForLifecycle('healthy after re-enable', (h) => h.lifecycle.state === 'healthy' && h.enabled);
    await publishAndWait();
    expect(attempts().at(-1)).toMatchObject({ outcome: 'delivered' });
    expect(system.receiver.requests('/hook').length).toBe(delivered + 1);

    expect((await api(base(), 'DELETE', `/api/v1/accounts/${accountId}/operations-webhook`)).status).toBe(
      200,
    );
    expect((await api(base(), 'GET', `/api/v1/accounts/${accountId}/operations-webhook`)).status).toBe(404);
  }, 60_000);
});
