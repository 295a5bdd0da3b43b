// Issue 3: delivery that survives failure, against a real receiver that answers as told.
import { Webhook } from 'standardwebhooks';
import { exampleEvent, verifyWebhook, type AttemptRecord, type EventPublisher } from '@vowchat/events';
import type { Receiver } from './support/receiver';
import { api, createWebhook, startSystem, type Dispatcher, type RunningSystem } from './support/system';
import { waitFor } from './support/wait-for';

describe('delivery outcomes, signatures, retries and the breaker', () => {
  let system: RunningSystem;
  let receiver: Receiver;
  let dispatcher: Dispatcher;
  let publisher: EventPublisher;
  let outcomes: RunningSystem['outcomes'];
  let nextAccount = 9000;

  beforeAll(async () => {
    system = await startSystem({
      DELIVERY_TIMEOUT_MS: '400',
      RETRY_SCHEDULE_MS: '100,200,300',
      RETRY_AFTER_CAP_MS: '1500',
      BREAKER_VOLUME_THRESHOLD: '4',
      BREAKER_ERROR_THRESHOLD_PERCENT: '50',
      BREAKER_RESET_TIMEOUT_MS: '700',
    });
    ({ receiver, dispatcher, publisher, outcomes } = system);
  });

  afterAll(() => system?.stop());

  /** A fresh account with one webhook on `path`, and a way to publish to it. */
  async function newEndpoint(path: string) {
    const account = { id: ++nextAccount, name: `Account ${nextAccount}` };
    const hook = await createWebhook(dispatcher.baseUrl, account.id, receiver.url(path), ['message_created']);
    const publish = (content = 'hello') =>
      publisher.publish({ ...exampleEvent('message_created', account), content });
    return { account, hook, publish };
  }

  const attemptsOf = (webhookId: string) =>
    outcomes.records
      .filter((r): r is AttemptRecord => r.kind === 'attempt' && r.webhook_id === webhookId)
      .sort((a, b) => a.attempt - b.attempt);

  async function attemptsUntil(webhookId: string, done: (a: AttemptRecord[]) => boolean) {
    return waitFor(`attempts of ${webhookId}`, () => {
      const a = attemptsOf(webhookId);
      return done(a) ? a : undefined;
    });
  }

  it('2xx is delivered once, signed so the standardwebhooks verifier accepts it', async () => {
    const { hook, publish, account } = await newEndpoint('/ok');
    const published = await publish();
    const [request] = await receiver.waitForRequests('/ok', 1);
    const payload = new Webhook(hook.secret).verify(request.body, request.headers as Record<string, string>);
    expect(payload).toEqual({ ...exampleEvent('message_created', account), content: 'hello' });
    expect(request.headers['webhook-id']).toBe(published.eventId);
    expect(verifyWebhook(hook.secret, request.headers, request.body)).toEqual(payload);
    const [attempt] = await attemptsUntil(hook.id, (a) => a.length === 1);
    expect(attempt).toMatchObject({
      outcome: 'delivered',
      status_code: 200,
      attempt: 1,
      event_id: published.eventId,
      account_id: account.id,
    });
  });

  it('4xx fails without a retry', async () => {
    const { hook, publish } = await newEndpoint('/bad-request');
    receiver.behave('/bad-request', { kind: 'status', code: 400, body: 'nope' });
    await publish();
    const [attempt] = await attemptsUntil(hook.id, (a) => a.length >= 1);
    expect(attempt).toMatchObject({
      outcome: 'failed',
      status_code: 400,
      response_body: 'nope',
      next_attempt_at: null,
    });
    expect(attempt.payload).not.toBeNull();
    // A later event to the same endpoint proves no retry of the first was made in between.
    receiver.behave('/bad-request', { kind: 'ok' });
    await publish('second');
    await attemptsUntil(hook.id, (a) => a.some((x) => x.outcome === 'delivered'));
    expect(receiver.requests('/bad-request')).toHaveLength(2);
  });

  it('410 Gone fails and disables the webhook', async () => {
    const { hook, publish, account } = await newEndpoint('/gone');
    receiver.behave('/gone', { kind: 'status', code: 410 });
    await publish();
    await attemptsUntil(hook.id, (a) => a.length === 1 && a[0].outcome === 'failed');
    const state = await waitFor('webhook_state record', () =>
      outcomes.records.find((r) => r.kind === 'webhook_state' && r.webhook_id === hook.id),
    );
    expect(state).toMatchObject({ enabled: false });
    const { body } = await api(
      dispatcher.baseUrl,
      'GET',
      `/api/v1/accounts/${account.id}/webhooks/${hook.id}`,
    );
    expect(body.payload.webhook.enabled).toBe(false);
  });

  it('429 is retried honouring Retry-After, then delivered', async () => {
    const { hook, publish } = await newEndpoint('/throttled');
    receiver.behave('/throttled', { kind: 'status', code: 429, headers: { 'retry-after': '1' } });
    await publish();
    const [first] = await attemptsUntil(hook.id, (a) => a.length >= 1);
    expect(first).toMatchObject({ outcome: 'retrying', status_code: 429 });
    // The next attempt was scheduled at least the Retry-After (1 s) after the first finished.
    expect(Date.parse(first.next_attempt_at!) - Date.parse(first.finished_at)).toBeGreaterThanOrEqual(1000);
    receiver.behave('/throttled', { kind: 'ok' });
    const attempts = await attemptsUntil(hook.id, (a) => a.some((x) => x.outcome === 'delivered'));
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2]);
    const requests = receiver.requests('/throttled');
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it.each([
    ['5xx', '/server-error', { kind: 'status' as const, code: 500 }, 'http_5xx'],
    ['a timeout', '/hangs', { kind: 'hang' as const }, 'timeout'],
    ['a dropped connection', '/drops', { kind: 'drop' as const }, 'connection_reset'],
  ])(
    '%s is retried on the schedule, then dead after the last attempt',
    async (_label, path, behaviour, reason) => {
      const { hook, publish } = await newEndpoint(path);
      receiver.behave(path, behaviour);
      await publish();
      const attempts = await attemptsUntil(hook.id, (a) => a.some((x) => x.outcome === 'dead'));
      expect(attempts.map((a) => a.outcome)).toEqual(['retrying', 'retrying', 'retrying', 'dead']);
      expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
      expect(attempts[0].error).toContain(reason);
      expect(attempts[3].payload).not.toBeNull();
    },
  );

  it('a dead delivery is redelivered through the API, one by one or all since a time', async () => {
    const { hook, publish, account } = await newEndpoint('/comes-back');
    receiver.behave('/comes-back', { kind: 'status', code: 503 });
    await publish('first');
    await publish('second');
    const dead = await attemptsUntil(hook.id, (a) => a.filter((x) => x.outcome === 'dead').length === 2);
    receiver.behave('/comes-back', { kind: 'ok' });
    const base = `/api/v1/accounts/${account.id}/webhooks/${hook.id}`;
    // The delivery log (the Postgres projection) shows both as dead.
    const listed = await waitFor('both dead deliveries in the delivery log', async () => {
      const { body } = await api<{ deliveries: { delivery_id: string; outcome: string }[] }>(
        dispatcher.baseUrl,
        'GET',
        `${base}/deliveries?outcome=dead`,
      );
      return body.deliveries.length === 2 ? body.deliveries : undefined;
    });
    const one = await api(
      dispatcher.baseUrl,
      'POST',
      `${base}/deliveries/${listed[0].delivery_id}/redeliver`,
    );
    expect(one.status).toBe(202);
    await attemptsUntil(hook.id, (a) =>
      a.some((x) => x.outcome === 'delivered' && x.delivery_id === listed[0].delivery_id),
    );
    await waitFor('the log to show one delivery still dead', async () => {
      const { body } = await api<{ deliveries: unknown[] }>(
        dispatcher.baseUrl,
        'GET',
        `${base}/deliveries?outcome=dead`,
      );
      return body.deliveries.length === 1;
    });
    const since = dead[0].started_at;
    const all = await api<{ redelivered: number }>(dispatcher.baseUrl, 'POST', `${base}/redeliver`, {
      since,
    });
    expect(all.status).toBe(202);
    expect(all.body.redelivered).toBe(1); // the other one is delivered by now
    const delivered = await attemptsUntil(
      hook.id,
      (a) => a.filter((x) => x.outcome === 'delivered').length === 2,
    );
    expect(new Set(delivered.filter((x) => x.outcome === 'delivered').map((x) => x.delivery_id))).toEqual(
      new Set(listed.map((d) => d.delivery_id)),
    );
  });

  it('a refused connection is retried', async () => {
    const account = { id: ++nextAccount, name: 'Refused' };
    const hook = await createWebhook(dispatcher.baseUrl, account.id, 'http://127.0.0.1:1/nothing-listens', [
      'message_created',
    ]);
    await publisher.publish(exampleEvent('message_created', account));
    const [first] = await attemptsUntil(hook.id, (a) => a.length >= 1);
    expect(first.outcome).toBe('retrying');
    expect(first.error).toContain('connection_refused');
  });

  it('a redirect is a failure and is not followed', async () => {
    const { hook, publish } = await newEndpoint('/moved');
    receiver.behave('/moved', { kind: 'redirect', to: '/elsewhere' });
    await publish();
    const [attempt] = await attemptsUntil(hook.id, (a) => a.length >= 1);
    expect(attempt).toMatchObject({ outcome: 'failed', status_code: 302 });
    expect(receiver.requests('/elsewhere')).toHaveLength(0);
  });

  it('during a secret rotation every request verifies with the new and with the old secret', async () => {
    const { hook, publish, account } = await newEndpoint('/rotating');
    const rotated = await api(
      dispatcher.baseUrl,
      'POST',
      `/api/v1/accounts/${account.id}/webhooks/${hook.id}/rotate-secret`,
    );
    expect(rotated.status).toBe(200);
    const newSecret: string = rotated.body.payload.webhook.secret;
    expect(newSecret).not.toBe(hook.secret);
    await publish('after rotation');
    const [request] = await receiver.waitForRequests('/rotating', 1);
    const headers = request.headers as Record<string, string>;
    expect(new Webhook(newSecret).verify(request.body, headers)).toMatchObject({
      content: 'after rotation',
    });
    expect(new Webhook(hook.secret).verify(request.body, headers)).toMatchObject({
      content: 'after rotation',
    });
    expect(headers['x-vowchat-signature'].split(' ')).toHaveLength(2);
  });

  it('the breaker opens, short-circuits without attempts, probes and closes', async () => {
    const { hook, publish } = await newEndpoint('/flaky');
    receiver.behave('/flaky', { kind: 'status', code: 503 });
    for (let i = 0; i < 8; i++) await publish(`burst ${i}`);
    await waitFor('breaker open', () =>
      outcomes.records.some(
        (r) => r.kind === 'breaker_state' && r.webhook_id === hook.id && r.state === 'open',
      ),
    );
    // While open, due retries are deferred without an attempt (and without counting one).
    await waitFor('a delivery deferred by the open breaker', async () => (await deferredByBreaker()) > 0);
    receiver.behave('/flaky', { kind: 'ok' });
    const states = await waitFor('breaker half-open then closed', () => {
      const s = outcomes.records
        .filter((r) => r.kind === 'breaker_state' && r.webhook_id === hook.id)
        .map((r) => (r as { state: string }).state);
      return s.includes('closed') ? s : undefined;
    });
    expect(states.slice(-3)).toEqual(['open', 'half_open', 'closed']);
    // Every event is eventually delivered: deferral never drops a delivery, and no attempt is unrecorded.
    await waitFor(
      'all 8 delivered',
      () =>
        new Set(
          attemptsOf(hook.id)
            .filter((a) => a.outcome === 'delivered')
            .map((a) => a.event_id),
        ).size === 8,
    );
    expect(receiver.requests('/flaky').length).toBe(attemptsOf(hook.id).length);
    expect(attemptsOf(hook.id).some((a) => a.outcome === 'dead')).toBe(false);
  });

  async function deferredByBreaker(): Promise<number> {
    const text = await (await fetch(`${dispatcher.baseUrl}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('vowchat_deliveries_deferred_total{reason="breaker_open"}'));
    return line ? Number(line.split(' ').pop()) : 0;
  }
});

describe('head-of-line blocking', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startSystem({ DELIVERY_TIMEOUT_MS: '5000' });
  });

  afterAll(() => system?.stop());

  it('one dead endpoint does not hold back 20 healthy ones on the same partition', async () => {
    // Same account, so every event is on one partition; the dead endpoint hangs past the time limit.
    const account = { id: 4242, name: 'Head of line' };
    const attemptsOf = (webhookId: string) =>
      system.outcomes.records.filter(
        (r): r is AttemptRecord => r.kind === 'attempt' && r.webhook_id === webhookId,
      );
    const dead = await createWebhook(
      system.dispatcher.baseUrl,
      account.id,
      system.receiver.url('/hol/dead'),
      ['message_created'],
    );
    system.receiver.behave('/hol/dead', { kind: 'hang' });
    for (let i = 0; i < 20; i++)
      await createWebhook(system.dispatcher.baseUrl, account.id, system.receiver.url(`/hol/ok-${i}`), [
        'message_created',
      ]);
    // More events than the dead lane's concurrency (10): its hanging requests hold 10 sockets at once.
    const events = 15;
    for (let i = 0; i < events; i++)
      await system.publisher.publish({ ...exampleEvent('message_created', account), content: `hol ${i}` });
    const firstDeadOutcome = await waitFor('the dead endpoint first timeout', () => attemptsOf(dead.id)[0]);
    expect(firstDeadOutcome.error).toContain('timeout');
    // Order of completions: every healthy delivery had completed before the dead one's first timeout.
    const healthy = system.receiver.requests().filter((r) => r.path.startsWith('/hol/ok-'));
    expect(healthy.length).toBe(20 * events);
    const lastHealthy = Math.max(...healthy.map((r) => r.receivedAt.getTime()));
    expect(lastHealthy).toBeLessThan(Date.parse(firstDeadOutcome.finished_at));
  });
});
