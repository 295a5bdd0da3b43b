// Fuzzes the HTTP APIs of a real producer and a real dispatcher (real Kafka, real Postgres) with
// arbitrary bytes, hostile JSON and near-valid mutations of the spec's examples. Properties: never a
// 5xx, every 4xx in the API's JSON error shape naming a problem, the process keeps serving, and a
// valid request among the hostile ones still succeeds. Fixed seed; FUZZ_RUNS for the long run.
import fc from 'fast-check';
import { allExampleEvents, exampleEvent, EVENT_TYPES } from '@vowchat/events';
import {
  FUZZ_SEED,
  fuzzRuns,
  hostileBytes,
  hostileJsonText,
  nastyString,
  nearValidEventText,
} from './support/event-arbitraries';
import { startProducer, type RunningProducer } from './support/producer-app';
import {
  API_TOKEN,
  cleanUp,
  connectPublisher,
  createWebhook,
  dispatcherEnv,
  newSystemNames,
  startDispatcher,
  type Dispatcher,
  type SystemNames,
} from './support/system';

jest.setTimeout(120_000);

const RUNS = fuzzRuns(60);
const account = { id: 4_242, name: 'Fuzz' };
const examples = allExampleEvents(account);

interface Answer {
  status: number;
  text: string;
}

async function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: Buffer | string,
): Promise<Answer> {
  const response = await fetch(url, { method, headers, body });
  return { status: response.status, text: await response.text() };
}

/** Never a 5xx; a 4xx is JSON with a message (and, when the API names fields, non-empty ones). */
function expectNoServerError(answer: Answer, what: string): void {
  if (answer.status >= 500)
    throw new Error(`answered ${answer.status} to ${what.slice(0, 300)}: ${answer.text.slice(0, 500)}`);
  // Node's HTTP parser answers a request line or headers past its 16 KiB limit itself, bodiless.
  if (answer.status < 400 || answer.status === 431) return;
  let body: { error?: unknown; message?: unknown; problems?: unknown };
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    throw new Error(
      `answered ${answer.status} without a JSON body to ${what.slice(0, 300)}: ${answer.text.slice(0, 500)}`,
    );
  }
  // Every refusal of both apps, the body parser's included, has the one shape: {error, message, problems}.
  expect(typeof body.error === 'string' && /^[a-z_]+$/.test(body.error)).toBe(true);
  expect(typeof body.message === 'string' && body.message.trim() !== '').toBe(true);
  expect(Array.isArray(body.problems)).toBe(true);
  {
    for (const p of body.problems as { field: unknown; message: unknown }[]) {
      expect(typeof p.field === 'string' && p.field !== '').toBe(true);
      expect(typeof p.message === 'string' && p.message !== '').toBe(true);
    }
  }
}

/** Percent-encoded; lone surrogates (which cannot be encoded) become U+FFFD first. */
function encoded(text: string): string {
  return encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '\ufffd'));
}

/** Path segments a client may send: ids, numbers too large, encodings that do not decode. */
const pathSegment = fc.oneof(
  fc.constantFrom(
    '4242',
    '0',
    '-1',
    '1e3',
    '99999999999999999999',
    '%',
    '%E0%A4%A',
    '%00',
    '..',
    '%2F',
    'a%20b',
  ),
  nastyString.map((s) => encoded(s.slice(0, 300))),
);

describe('producer API under fuzzing', () => {
  let producer: RunningProducer;
  beforeAll(async () => {
    producer = await startProducer({ maxBodyBytes: 256 * 1024, maxBatchEvents: 50 });
  });
  afterAll(async () => {
    await producer?.close();
  });

  const headers = (extra: Record<string, string> = {}) => ({
    'content-type': 'application/json',
    api_access_token: producer.token,
    ...extra,
  });

  /** The status a valid event gets, posted after the hostile ones: the app must still take it. */
  async function validEventStatus(): Promise<number> {
    const answer = await send(
      `${producer.url}/api/v1/accounts/${account.id}/events`,
      'POST',
      headers(),
      JSON.stringify(exampleEvent('message_created', account)),
    );
    return answer.status;
  }

  it('never answers 5xx to arbitrary bytes, hostile JSON or mutated events, and still accepts a valid one', async () => {
    const body = fc.oneof(
      hostileBytes(examples),
      nearValidEventText(account).map((t) => Buffer.from(t)),
      fc
        .array(fc.oneof(nearValidEventText(account), hostileJsonText), { minLength: 1, maxLength: 4 })
        .map((items) => Buffer.from(`{"events":[${items.join(',')}]}`)),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (raw, batch) => {
        const path = `/api/v1/accounts/${account.id}/events${batch ? '/batch' : ''}`;
        expectNoServerError(await send(producer.url + path, 'POST', headers(), raw), `POST ${path}`);
      }),
      { seed: FUZZ_SEED, numRuns: RUNS },
    );
    expect(await validEventStatus()).toBe(202);
  });

  it('never answers 5xx to hostile paths and headers', async () => {
    const header = fc.record(
      {
        'content-type': fc.constantFrom<string>(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          '*/*',
          '',
        ),
        'content-encoding': fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-nope'),
        api_access_token: fc.oneof(fc.constant(producer.token), fc.stringMatching(/^[ -~]{0,40}$/)),
        authorization: fc.stringMatching(/^[ -~]{0,40}$/),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(pathSegment, header, fc.constantFrom('', '/batch'), async (segment, extra, suffix) => {
        const path = `/api/v1/accounts/${segment}/events${suffix}`;
        const raw = JSON.stringify(exampleEvent('conversation_typing_on', account));
        const answer = await send(
          producer.url + path,
          'POST',
          { api_access_token: producer.token, ...extra },
          raw,
        );
        expectNoServerError(answer, `POST ${path} ${JSON.stringify(extra)}`);
      }),
      { seed: FUZZ_SEED, numRuns: RUNS },
    );
    expect(await validEventStatus()).toBe(202);
  });
});

describe('dispatcher HTTP API under fuzzing', () => {
  let names: SystemNames;
  let dispatcher: Dispatcher;
  let webhookId: string;
  const base = () => `/api/v1/accounts/${account.id}/webhooks`;
  const headers = { 'content-type': 'application/json', api_access_token: API_TOKEN };

  beforeAll(async () => {
    names = newSystemNames();
    const { publisher } = await connectPublisher(names);
    await publisher.disconnect();
    dispatcher = await startDispatcher(dispatcherEnv(names));
    webhookId = (await createWebhook(dispatcher.baseUrl, account.id, 'http://127.0.0.1:9/hook', EVENT_TYPES))
      .id;
  });
  afterAll(async () => {
    await dispatcher?.stop();
    if (names) await cleanUp(names);
  });

  const webhookBody = fc.oneof(
    hostileBytes(examples),
    fc
      .record(
        {
          url: fc.oneof(nastyString, fc.webUrl(), fc.constant('http://127.0.0.1:9/h\u0000x')),
          subscriptions: fc.oneof(
            fc.array(fc.oneof(fc.constantFrom(...EVENT_TYPES), nastyString), { maxLength: 12 }),
            nastyString,
            fc.jsonValue({ maxDepth: 3 }),
          ),
          name: fc.oneof(nastyString, fc.constant(null), fc.jsonValue({ maxDepth: 2 })),
          enabled: fc.oneof(fc.boolean(), nastyString),
          webhook: fc.jsonValue({ maxDepth: 3 }),
        },
        { requiredKeys: [] },
      )
      .map((fields) => Buffer.from(JSON.stringify(fields))),
    hostileJsonText.map((text) => Buffer.from(`{"since":${text}}`)),
  );

  it('never answers 5xx to hostile webhook writes, and still creates a valid webhook', async () => {
    const target = fc.constantFrom(
      (_id: string) => ['POST', base()],
      (id: string) => ['PATCH', `${base()}/${id}`],
      (id: string) => ['PUT', `${base()}/${id}`],
      (id: string) => ['POST', `${base()}/${id}/redeliver`],
    );
    await fc.assert(
      fc.asyncProperty(target, webhookBody, async (route, raw) => {
        const [method, path] = route(webhookId);
        expectNoServerError(await send(dispatcher.baseUrl + path, method, headers, raw), `${method} ${path}`);
      }),
      { seed: FUZZ_SEED, numRuns: RUNS },
    );
    const created = await send(
      dispatcher.baseUrl + base(),
      'POST',
      headers,
      JSON.stringify({ url: 'http://127.0.0.1:9/ok', subscriptions: ['message_created'] }),
    );
    expect(created.status).toBe(200);
  });

  it('never answers 5xx to hostile ids, query strings and cursors, and still lists deliveries', async () => {
    const queryValue = fc.oneof(
      nastyString,
      fc.constantFrom(
        '0000-01-01',
        '0000-01-01T00:00:00Z',
        '9999-12-31T23:59:59.999999999Z',
        '2024-02-30',
        '2024-13-01',
        '2024-01-01T24:00:00Z',
        '2024-01-01T23:59:60Z',
        '275760-09-13',
        'failed,dead',
        '1',
        '200',
        '201',
        '-1',
      ),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      // Cursors: garbage, and the API's own shape holding out-of-range times and bad ids.
      fc
        .tuple(
          fc.constantFrom(
            '0000-01-01T00:00:00.000000Z',
            '2024-02-30T00:00:00.000000Z',
            '2024-01-01T24:00:00.000000Z',
            '9999-12-31T23:59:59.999999Z',
            '2024-01-01T00:00:60.000000Z',
          ),
          fc.oneof(fc.uuid(), nastyString),
        )
        .map((c) => Buffer.from(JSON.stringify(c)).toString('base64url')),
    );
    const param = fc.constantFrom(
      'outcome',
      'event_type',
      'since',
      'until',
      'limit',
      'cursor',
      'x',
      'since[a]',
      'limit[]',
    );
    const query = fc
      .array(fc.tuple(param, queryValue), { maxLength: 4 })
      .map((pairs) => pairs.map(([k, v]) => `${encoded(k)}=${encoded(v)}`).join('&'));
    const id = fc.oneof(fc.constant<string | null>(null), pathSegment, fc.uuid());
    await fc.assert(
      fc.asyncProperty(id, query, fc.oneof(fc.constant(''), pathSegment), async (maybeId, q, deliveryId) => {
        const hook = maybeId ?? webhookId;
        const path =
          deliveryId === ''
            ? `${base()}/${hook}/deliveries?${q}`
            : `${base()}/${hook}/deliveries/${deliveryId}`;
        expectNoServerError(await send(dispatcher.baseUrl + path, 'GET', headers), `GET ${path}`);
        if (deliveryId !== '') {
          const redeliver = `${base()}/${hook}/deliveries/${deliveryId}/redeliver`;
          expectNoServerError(
            await send(dispatcher.baseUrl + redeliver, 'POST', headers),
            `POST ${redeliver}`,
          );
        }
      }),
      { seed: FUZZ_SEED, numRuns: RUNS },
    );
    for (const method of ['GET', 'DELETE', 'POST']) {
      const suffix = method === 'POST' ? '/rotate-secret' : '';
      await fc.assert(
        fc.asyncProperty(pathSegment, pathSegment, async (acc, hook) => {
          const path = `/api/v1/accounts/${acc}/webhooks/${hook}${suffix}`;
          expectNoServerError(await send(dispatcher.baseUrl + path, method, headers), `${method} ${path}`);
        }),
        { seed: FUZZ_SEED, numRuns: Math.ceil(RUNS / 3) },
      );
    }
    const listed = await send(
      dispatcher.baseUrl + `${base()}/${webhookId}/deliveries?limit=5`,
      'GET',
      headers,
    );
    expect(listed.status).toBe(200);
  });
});
