// Issued API tokens end to end, on two dispatcher instances and a producer sharing one system: every
// route of both apps (read from their routers, so a new route cannot be left out) answered for
// every kind of credential; revocation through one instance refused by the others within 5 s; no
// token in Postgres, on the credentials topic or in any log line.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual, promisify } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { exampleEvent } from '@vowchat/events';
import { tokenSha256 } from '@vowchat/platform';
import { DATABASE_URL } from './support/infra';
import { freePort } from './support/names';
import { expectKeepsContract, readAnswer } from './support/openapi-check';
import { startProducer, type RunningProducer } from './support/producer-app';
import { startReceiver, type Receiver } from './support/receiver';
import { testLogFile } from './support/log-capture.setup';
import {
  API_TOKEN,
  dispatcherEnv,
  dropSchemaAndTopics,
  newSystemNames,
  spawnDispatcher,
  startDispatcher,
  testKafka,
  type SystemNames,
} from './support/system';
import { allTopics } from '@vowchat/events';
import { waitFor } from './support/wait-for';

type Credential = 'none' | 'wrong' | 'revoked' | 'other' | 'service' | 'own' | 'operator';
type RouteAccess = 'account' | 'operator' | 'publish' | 'public';
interface Sample {
  path: string;
  body?: unknown;
}
interface RouteCase {
  access: RouteAccess;
  sample: (credential: Credential) => Promise<Sample> | Sample;
  /** Paths that carry a webhook id answer a refused account exactly as an unknown webhook. */
  webhookIdIn?: (sample: Sample) => string;
}
interface Answer {
  status: number;
  body: unknown;
}

const REFUSED: Credential[] = ['none', 'wrong', 'revoked', 'other', 'service', 'own'];
const REVOCATION_BOUND_MS = 5_000;
const execFileAsync = promisify(execFile);

let names: SystemNames;
let d1: { app: INestApplication; baseUrl: string; stop(): Promise<void> };
let d2: typeof d1;
let producer: RunningProducer;
let receiver: Receiver;
const issued: string[] = []; // every plaintext token of this test, looked for where it must not be
const A = 700_000 + Math.floor(Math.random() * 100_000);
const B = A + 1;
const tokens = {} as Record<'own' | 'other' | 'revoked' | 'service', string>;
let webhookId: string;
let deliveryId: string;

async function call(
  baseUrl: string,
  method: string,
  { path, body }: Sample,
  token: string | undefined,
  style: 'chatwoot' | 'bearer' = 'chatwoot',
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) {
    if (style === 'chatwoot') headers.api_access_token = token;
    else headers.authorization = `Bearer ${token}`;
  }
  const response = await fetch(baseUrl + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await readAnswer(response);
  // Every answer, refusals included, keeps the app's OpenAPI contract.
  expectKeepsContract(baseUrl === producer?.url ? 'producer' : 'dispatcher', {
    method,
    path,
    status: response.status,
    ...answer,
  });
  const { text } = answer;
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // the dashboard's page and /metrics are not JSON
  }
  return { status: response.status, body: parsed };
}

const operator = (method: string, path: string, body?: unknown) =>
  call(d1.baseUrl, method, { path, body }, API_TOKEN, 'bearer');

async function issue(path: string, name: string): Promise<{ id: string; token: string }> {
  const { status, body } = await operator('POST', path, { name });
  expect(status).toBe(201);
  const token = (body as { payload: { token: { id: string; token: string } } }).payload.token;
  issued.push(token.token);
  return token;
}

const accountTokens = (account: number) => `/api/v1/operator/accounts/${account}/tokens`;

function tokenOf(credential: Credential, producerApp = false): string | undefined {
  switch (credential) {
    case 'none':
      return undefined;
    case 'wrong':
      return 'vwc_acct_' + 'A'.repeat(43);
    case 'operator':
      return producerApp ? producer.token : API_TOKEN;
    case 'own':
    case 'other':
    case 'revoked':
    case 'service':
      return tokens[credential];
  }
}

/** Resolves once `token` is answered `status` by `check` (another instance learning a change). */
async function untilAnswered(check: () => Promise<Answer>, ok: (status: number) => boolean, what: string) {
  await waitFor(what, async () => ok((await check()).status), { timeoutMs: 20_000, intervalMs: 50 });
}

async function freshWebhook(): Promise<string> {
  const { status, body } = await operator('POST', `/api/v1/accounts/${A}/webhooks`, {
    url: receiver.url('/spare'),
    subscriptions: ['message_created'],
  });
  expect(status).toBe(200);
  return (body as { payload: { webhook: { id: string } } }).payload.webhook.id;
}

async function failedAgain(): Promise<void> {
  await waitFor('the delivery to be failed', async () => {
    const { body } = await operator(
      'GET',
      `/api/v1/accounts/${A}/webhooks/${webhookId}/deliveries/${deliveryId}`,
    );
    return (body as { outcome?: string }).outcome === 'failed';
  });
}

const webhookPath = `/api/v1/accounts/:a/webhooks/:w`;
const own = (path: string) => path.replace(':a', String(A)).replace(':w', () => webhookId);
const idFromPath = (s: Sample) => s.path.split('/')[6];

/** The OpenAPI document and its page, in both apps: public. */
const API_DOCS_ROUTES: Record<string, RouteCase> = {
  'GET /openapi.json': { access: 'public', sample: () => ({ path: '/openapi.json' }) },
  'GET /docs': { access: 'public', sample: () => ({ path: '/docs' }) },
  'GET /docs/assets/:name': {
    access: 'public',
    sample: () => ({ path: '/docs/assets/swagger-ui-bundle.js' }),
  },
};

/** Every route of the dispatcher, with a request that succeeds for a credential allowed on it. */
const DISPATCHER_ROUTES: Record<string, RouteCase> = {
  'GET /api/v1/accounts/:account_id/webhooks': {
    access: 'account',
    sample: () => ({ path: own('/api/v1/accounts/:a/webhooks') }),
  },
  'POST /api/v1/accounts/:account_id/webhooks': {
    access: 'account',
    sample: () => ({
      path: own('/api/v1/accounts/:a/webhooks'),
      body: { url: receiver.url('/new'), subscriptions: ['message_created'] },
    }),
  },
  'GET /api/v1/accounts/:account_id/webhooks/:id': {
    access: 'account',
    sample: () => ({ path: own(webhookPath) }),
    webhookIdIn: idFromPath,
  },
  'PATCH /api/v1/accounts/:account_id/webhooks/:id': {
    access: 'account',
    sample: () => ({ path: own(webhookPath), body: { name: 'patched' } }),
    webhookIdIn: idFromPath,
  },
  'PUT /api/v1/accounts/:account_id/webhooks/:id': {
    access: 'account',
    sample: () => ({ path: own(webhookPath), body: { name: 'put' } }),
    webhookIdIn: idFromPath,
  },
  'DELETE /api/v1/accounts/:account_id/webhooks/:id': {
    access: 'account',
    // A webhook of its own for each call that may delete it; the refused ones aim at the fixture's.
    sample: async (c) => ({
      path: `/api/v1/accounts/${A}/webhooks/${c === 'own' || c === 'operator' ? await freshWebhook() : webhookId}`,
    }),
    webhookIdIn: idFromPath,
  },
  'POST /api/v1/accounts/:account_id/webhooks/:id/rotate-secret': {
    access: 'account',
    sample: () => ({ path: own(`${webhookPath}/rotate-secret`) }),
    webhookIdIn: idFromPath,
  },
  'GET /api/v1/accounts/:account_id/webhooks/:id/deliveries': {
    access: 'account',
    sample: () => ({ path: own(`${webhookPath}/deliveries`) }),
    webhookIdIn: idFromPath,
  },
  'GET /api/v1/accounts/:account_id/webhooks/:id/deliveries/:delivery_id': {
    access: 'account',
    sample: () => ({ path: own(`${webhookPath}/deliveries/${deliveryId}`) }),
    webhookIdIn: idFromPath,
  },
  'POST /api/v1/accounts/:account_id/webhooks/:id/deliveries/:delivery_id/redeliver': {
    access: 'account',
    sample: async (c) => {
      if (c === 'own' || c === 'operator') await failedAgain();
      return { path: own(`${webhookPath}/deliveries/${deliveryId}/redeliver`) };
    },
    webhookIdIn: idFromPath,
  },
  'POST /api/v1/accounts/:account_id/webhooks/:id/redeliver': {
    access: 'account',
    sample: () => ({
      path: own(`${webhookPath}/redeliver`),
      body: { since: new Date(Date.now() - 60_000).toISOString() },
    }),
    webhookIdIn: idFromPath,
  },
  'GET /api/v1/accounts/:account_id/webhooks/:id/health': {
    access: 'account',
    sample: () => ({ path: own(`${webhookPath}/health?window=1h`) }),
    webhookIdIn: idFromPath,
  },
  'GET /api/v1/accounts/:account_id/health': {
    access: 'account',
    sample: () => ({ path: own('/api/v1/accounts/:a/health') }),
  },
  'GET /api/v1/accounts/:account_id/operations-webhook': {
    access: 'account',
    sample: () => ({ path: own('/api/v1/accounts/:a/operations-webhook') }),
  },
  'PUT /api/v1/accounts/:account_id/operations-webhook': {
    access: 'account',
    sample: () => ({
      path: own('/api/v1/accounts/:a/operations-webhook'),
      body: { url: receiver.url('/ops') },
    }),
  },
  'DELETE /api/v1/accounts/:account_id/operations-webhook': {
    access: 'account',
    sample: async (c) => {
      if (c === 'own' || c === 'operator')
        await operator('PUT', `/api/v1/accounts/${A}/operations-webhook`, { url: receiver.url('/ops') });
      return { path: own('/api/v1/accounts/:a/operations-webhook') };
    },
  },
  'GET /api/v1/operator/health': { access: 'operator', sample: () => ({ path: '/api/v1/operator/health' }) },
  'GET /api/v1/operator/dashboard': {
    access: 'operator',
    sample: () => ({ path: '/api/v1/operator/dashboard?range=15m' }),
  },
  'POST /api/v1/operator/accounts/:account_id/tokens': {
    access: 'operator',
    sample: () => ({ path: accountTokens(A), body: { name: 'matrix' } }),
  },
  'GET /api/v1/operator/accounts/:account_id/tokens': {
    access: 'operator',
    sample: () => ({ path: accountTokens(A) }),
  },
  'POST /api/v1/operator/service-tokens': {
    access: 'operator',
    sample: () => ({ path: '/api/v1/operator/service-tokens', body: { name: 'matrix' } }),
  },
  'GET /api/v1/operator/service-tokens': {
    access: 'operator',
    sample: () => ({ path: '/api/v1/operator/service-tokens' }),
  },
  'DELETE /api/v1/operator/tokens/:id': {
    access: 'operator',
    sample: async (c) => ({
      path: `/api/v1/operator/tokens/${c === 'operator' ? (await issue(accountTokens(A), 'doomed')).id : randomUUID()}`,
    }),
  },
  'GET /health': { access: 'public', sample: () => ({ path: '/health' }) },
  'GET /health/live': { access: 'public', sample: () => ({ path: '/health/live' }) },
  'GET /health/ready': { access: 'public', sample: () => ({ path: '/health/ready' }) },
  'GET /metrics': { access: 'public', sample: () => ({ path: '/metrics' }) },
  'GET /dashboard': { access: 'public', sample: () => ({ path: '/dashboard' }) },
  'GET /dashboard/assets/:name': {
    access: 'public',
    sample: () => ({ path: '/dashboard/assets/dashboard.js' }),
  },
  ...API_DOCS_ROUTES,
};

const PRODUCER_ROUTES: Record<string, RouteCase> = {
  'POST /api/v1/accounts/:account_id/events': {
    access: 'publish',
    sample: () => ({
      path: `/api/v1/accounts/${A}/events`,
      body: exampleEvent('message_created', { id: A, name: 'A' }),
    }),
  },
  'POST /api/v1/accounts/:account_id/events/batch': {
    access: 'publish',
    sample: () => ({
      path: `/api/v1/accounts/${A}/events/batch`,
      body: { events: [exampleEvent('conversation_created', { id: A, name: 'A' })] },
    }),
  },
  'GET /health': { access: 'public', sample: () => ({ path: '/health' }) },
  'GET /health/live': { access: 'public', sample: () => ({ path: '/health/live' }) },
  'GET /health/ready': { access: 'public', sample: () => ({ path: '/health/ready' }) },
  'GET /metrics': { access: 'public', sample: () => ({ path: '/metrics' }) },
  ...API_DOCS_ROUTES,
};

/** `METHOD /path` of every route the app's router serves. */
function routesOf(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as {
    router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  };
  return express.router.stack.flatMap((layer) =>
    layer.route ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path}`) : [],
  );
}

function expected(access: RouteAccess, credential: Credential): 'ok' | 401 | 404 {
  if (access === 'public' || credential === 'operator') return 'ok';
  if (credential === 'none' || credential === 'wrong' || credential === 'revoked') return 401;
  if (access === 'operator') return 404;
  if (credential === 'own') return 'ok';
  if (credential === 'service') return access === 'publish' ? 'ok' : 404;
  return 404; // another account's token
}

/** What account A holds, read by the operator: must not move while refused requests come in. */
async function snapshotOfA(): Promise<string> {
  const parts = await Promise.all([
    operator('GET', `/api/v1/accounts/${A}/webhooks`),
    operator('GET', `/api/v1/accounts/${A}/webhooks/${webhookId}/deliveries/${deliveryId}`),
    operator('GET', `/api/v1/accounts/${A}/operations-webhook`),
    operator('GET', accountTokens(A)),
    operator('GET', '/api/v1/operator/service-tokens'),
  ]);
  return JSON.stringify(parts);
}

beforeAll(async () => {
  names = newSystemNames();
  receiver = await startReceiver();
  receiver.behave('/fail', { kind: 'status', code: 400 });
  const env = dispatcherEnv(names, { LOG_LEVEL: 'debug' });
  d1 = await startDispatcher(env);
  d2 = await startDispatcher(env);
  producer = await startProducer({
    logLevel: 'debug',
    topics: {
      conversations: names.topics.conversations,
      messages: names.topics.messages,
      typing: names.topics.typing,
    },
    credentialsTopic: names.topics.credentials,
  });

  tokens.own = (await issue(accountTokens(A), 'own')).token;
  tokens.other = (await issue(accountTokens(B), 'other')).token;
  const revoked = await issue(accountTokens(A), 'revoked');
  tokens.revoked = revoked.token;
  tokens.service = (await issue('/api/v1/operator/service-tokens', 'backend')).token;
  expect((await operator('DELETE', `/api/v1/operator/tokens/${revoked.id}`)).status).toBe(200);

  const created = await operator('POST', `/api/v1/accounts/${A}/webhooks`, {
    url: receiver.url('/fail'),
    subscriptions: ['message_created'],
  });
  webhookId = (created.body as { payload: { webhook: { id: string } } }).payload.webhook.id;
  await operator('PUT', `/api/v1/accounts/${A}/operations-webhook`, { url: receiver.url('/ops') });
  // Every instance knows the tokens before the matrix runs.
  for (const baseUrl of [d1.baseUrl, d2.baseUrl, producer.url])
    await untilAnswered(
      () => call(baseUrl, 'GET', { path: '/nothing' }, tokens.service),
      (s) => s !== 401 && s !== 503,
      `${baseUrl} to know the issued tokens`,
    );
  await waitFor('the registry of both dispatchers to hold the webhook', async () => {
    const sizes = await Promise.all(
      [d1, d2].map(
        async (d) => ((await (await fetch(`${d.baseUrl}/health`)).json()) as { webhooks: number }).webhooks,
      ),
    );
    return sizes.every((n) => n >= 1);
  });
  const published = await call(
    producer.url,
    'POST',
    { path: `/api/v1/accounts/${A}/events`, body: exampleEvent('message_created', { id: A, name: 'A' }) },
    producer.token,
  );
  expect(published.status).toBe(202);
  deliveryId = await waitFor(
    'a failed delivery to the fixture webhook',
    async () => {
      const { body } = await operator('GET', `/api/v1/accounts/${A}/webhooks/${webhookId}/deliveries`);
      const found = (body as { deliveries?: { delivery_id: string; outcome: string }[] }).deliveries?.find(
        (d) => d.outcome === 'failed',
      );
      return found?.delivery_id;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([d1?.stop(), d2?.stop(), producer?.close(), receiver?.close()]);
  if (names) await dropSchemaAndTopics(names.schema, allTopics(names.topics));
});

describe.each([
  ['dispatcher', () => d1.app, DISPATCHER_ROUTES, () => d1.baseUrl, false],
  ['producer', () => producer.app, PRODUCER_ROUTES, () => producer.url, true],
] as const)('the %s', (_app, appOf, table, baseUrlOf, isProducer) => {
  it('has a row in the matrix for every route it serves, and none for a route it does not', () => {
    const served = routesOf(appOf()).sort();
    expect(served).toEqual(Object.keys(table).sort());
  });

  it('refuses every route to credentials that may not use it, and changes nothing', async () => {
    const before = isProducer ? '' : await snapshotOfA();
    const answers: string[] = [];
    const wrong: string[] = [];
    for (const [route, rc] of Object.entries(table)) {
      const method = route.split(' ')[0];
      for (const credential of REFUSED) {
        const want = expected(rc.access, credential);
        if (want === 'ok') continue;
        const sample = await rc.sample(credential);
        const got = await call(
          baseUrlOf(),
          method,
          sample,
          tokenOf(credential, isProducer),
          credential === 'other' ? 'bearer' : 'chatwoot',
        );
        answers.push(`${route} ${credential} ${got.status}`);
        if (got.status !== want)
          wrong.push(`${route} as ${credential}: ${got.status} ${JSON.stringify(got.body)}, want ${want}`);
        else if (want === 404 && !isProducer && rc.webhookIdIn && rc.access === 'account') {
          // The body of an unknown webhook (ids aside): another account's is no different.
          const unknown = randomUUID();
          const id = rc.webhookIdIn(sample);
          const probe = await call(
            baseUrlOf(),
            method,
            { ...sample, path: sample.path.replace(id, unknown) },
            API_TOKEN,
          );
          const asUnknown = JSON.parse(JSON.stringify(probe.body).replaceAll(unknown, id)) as unknown;
          if (probe.status !== 404 || !isDeepStrictEqual(got.body, asUnknown))
            wrong.push(
              `${route} as ${credential}: ${JSON.stringify(got.body)} is not the unknown-webhook answer ${JSON.stringify(asUnknown)}`,
            );
        }
      }
    }
    expect(wrong).toEqual([]);
    if (!isProducer) expect(await snapshotOfA()).toBe(before);
    // routes × refused credentials actually exercised
    expect(answers.length).toBeGreaterThanOrEqual(isProducer ? 8 : 100);
  });

  it('serves every route to the credentials that may use it', async () => {
    const wrong: string[] = [];
    for (const [route, rc] of Object.entries(table)) {
      const method = route.split(' ')[0];
      for (const credential of ['own', 'service', 'operator', 'none'] as Credential[]) {
        if (expected(rc.access, credential) !== 'ok') continue;
        const got = await call(
          baseUrlOf(),
          method,
          await rc.sample(credential),
          tokenOf(credential, isProducer),
          credential === 'operator' ? 'bearer' : 'chatwoot',
        );
        const fine =
          rc.access === 'public'
            ? got.status !== 401 && got.status !== 404
            : got.status >= 200 && got.status < 300;
        if (!fine) wrong.push(`${route} as ${credential}: ${got.status} ${JSON.stringify(got.body)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('revocation', () => {
  it('a token revoked through one dispatcher is refused by the other dispatcher and the producer within 5 s', async () => {
    const { id, token } = await issue(accountTokens(A), 'short-lived');
    const onD2 = () => call(d2.baseUrl, 'GET', { path: `/api/v1/accounts/${A}/webhooks` }, token);
    const onProducer = () =>
      call(
        producer.url,
        'POST',
        { path: `/api/v1/accounts/${A}/events`, body: exampleEvent('message_created', { id: A, name: 'A' }) },
        token,
      );
    await untilAnswered(onD2, (s) => s === 200, 'the other dispatcher to accept the new token');
    await untilAnswered(onProducer, (s) => s === 202, 'the producer to accept the new token');

    const revokedAt = Date.now();
    const revoked = await operator('DELETE', `/api/v1/operator/tokens/${id}`);
    expect(revoked.status).toBe(200);
    expect(
      (revoked.body as { payload: { token: { revoked_at: string | null } } }).payload.token.revoked_at,
    ).not.toBeNull();
    expect((await call(d1.baseUrl, 'GET', { path: `/api/v1/accounts/${A}/webhooks` }, token)).status).toBe(
      401,
    );
    const refusedWithin = async (check: () => Promise<Answer>) => {
      await waitFor('the revoked token to be refused', async () => (await check()).status === 401, {
        timeoutMs: REVOCATION_BOUND_MS,
        intervalMs: 25,
      });
      return Date.now() - revokedAt;
    };
    const [d2Ms, producerMs] = await Promise.all([refusedWithin(onD2), refusedWithin(onProducer)]);
    expect(d2Ms).toBeLessThan(REVOCATION_BOUND_MS);
    expect(producerMs).toBeLessThan(REVOCATION_BOUND_MS);

    // Revoking again is harmless and keeps the first time.
    const again = await operator('DELETE', `/api/v1/operator/tokens/${id}`);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(revoked.body);
  });

  it('lists metadata only, revoked tokens with their revocation time', async () => {
    const { body } = await operator('GET', accountTokens(A));
    const listed = (body as { payload: { tokens: Record<string, unknown>[] } }).payload.tokens;
    expect(listed.length).toBeGreaterThanOrEqual(3);
    for (const t of listed)
      expect(Object.keys(t).sort()).toEqual([
        'account_id',
        'created_at',
        'id',
        'last_used_at',
        'name',
        'revoked_at',
        'scope',
      ]);
    expect(listed.find((t) => t.name === 'revoked')?.revoked_at).toEqual(expect.any(String));
  });
});

describe('npm run tokens', () => {
  const cli = (...args: string[]) =>
    execFileAsync(
      process.execPath,
      ['dist/apps/dispatcher/src/credentials/cli/tokens.js', ...args, '--url', d1.baseUrl],
      {
        env: { ...process.env, DISPATCHER_API_TOKEN: API_TOKEN },
      },
    );

  it('creates, lists and revokes through the operator API', async () => {
    const created = JSON.parse((await cli('create', '--account', String(A), '--name', 'cli')).stdout) as {
      payload: { token: { id: string; token: string } };
    };
    const { id, token } = created.payload.token;
    issued.push(token);
    expect(token).toMatch(/^vwc_acct_[A-Za-z0-9_-]{43}$/);
    const listed = (await cli('list', '--account', String(A))).stdout;
    expect(listed).toContain(id);
    expect(listed).not.toContain(token);
    const revoked = JSON.parse((await cli('revoke', id)).stdout) as {
      payload: { token: { revoked_at: string } };
    };
    expect(revoked.payload.token.revoked_at).toEqual(expect.any(String));
  });
});

describe('where tokens are never written', () => {
  it('Postgres holds their SHA-256 only, in every table of the schema', async () => {
    const client = new Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const tables = await client.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1`,
        [names.schema],
      );
      let dump = '';
      for (const { table_name } of tables.rows) {
        const rows = await client.query<{ row: string }>(
          `SELECT row_to_json(t)::text AS row FROM "${names.schema}"."${table_name}" t`,
        );
        dump += rows.rows.map((r) => r.row).join('\n');
      }
      const stored = await client.query<{ token_sha256: string }>(
        `SELECT token_sha256 FROM "${names.schema}".api_tokens`,
      );
      expect(issued.length).toBeGreaterThan(4);
      for (const token of issued) {
        expect(dump).not.toContain(token.slice('vwc_acct_'.length));
        expect(stored.rows.map((r) => r.token_sha256)).toContain(tokenSha256(token));
      }
    } finally {
      await client.end();
    }
  });

  it('the credentials topic holds hashes and tombstones only', async () => {
    const kafka = testKafka();
    const consumer = kafka.consumer({ groupId: `${names.prefix}-read-${randomUUID()}` });
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: names.topics.credentials, fromBeginning: true });
    const admin = kafka.admin();
    await admin.connect();
    const high = (await admin.fetchTopicOffsets(names.topics.credentials)).reduce(
      (n, p) => n + Number(p.high),
      0,
    );
    await admin.disconnect();
    let seen = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen++;
        values.push(message.value?.toString() ?? 'null');
      },
    });
    await waitFor('the whole credentials topic', () => seen >= high);
    await consumer.disconnect();
    const all = values.join('\n');
    expect(all).toContain('token_sha256');
    expect(values).toContain('null');
    for (const token of issued) expect(all).not.toContain(token.slice(9));
  });

  it('no log line of a spawned dispatcher, nor of the in-process apps, carries a token', async () => {
    const logFile = testLogFile() ?? `${process.cwd()}/.run/api-tokens-${Date.now()}.log`;
    const spawned = await spawnDispatcher(
      dispatcherEnv(names, { LOG_LEVEL: 'debug', KAFKA_GROUP_ID: `${names.groupId}-logs` }),
      await freePort(),
      {
        logFile,
      },
    );
    try {
      const base = spawned.baseUrl;
      const created = await call(
        base,
        'POST',
        { path: accountTokens(A), body: { name: 'logged' } },
        API_TOKEN,
      );
      expect(created.status).toBe(201);
      const { id, token } = (created.body as { payload: { token: { id: string; token: string } } }).payload
        .token;
      issued.push(token);
      await untilAnswered(
        () => call(base, 'GET', { path: `/api/v1/accounts/${A}/webhooks` }, token),
        (s) => s === 200,
        'the new token',
      );
      await call(base, 'GET', { path: `/api/v1/accounts/${B}/webhooks` }, token, 'bearer');
      await call(base, 'GET', { path: '/api/v1/operator/health' }, token);
      await call(base, 'GET', { path: `/api/v1/accounts/${A}/webhooks` }, token.slice(0, -1) + 'x');
      expect((await call(base, 'DELETE', { path: `/api/v1/operator/tokens/${id}` }, API_TOKEN)).status).toBe(
        200,
      );
      await untilAnswered(
        () => call(base, 'GET', { path: `/api/v1/accounts/${A}/webhooks` }, token),
        (s) => s === 401,
        'the revoked token to be refused',
      );
    } finally {
      await spawned.stop();
    }
    expect(existsSync(logFile)).toBe(true);
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('API token revoked');
    for (const token of issued) {
      expect(log).not.toContain(token.slice(9));
      expect(log).not.toContain(tokenSha256(token));
    }
  });
});
