// The SSRF guard with ALLOW_INSECURE_WEBHOOK_URLS off, at each of its three places: registration
// through the real API (the hostile table), the sender before it connects (the policy again, so a
// URL stored under a laxer one is refused), and the connect-time lookup (names that pass
// registration but resolve to loopback). Nothing here leaves 127.0.0.1 / ::1: names are resolved by
// an injected lookup, and addresses that are not loopback are only ever handed to the lookup filter,
// never to a socket.
import type { LookupAddress } from 'node:dns';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { exampleEvent, type AttemptRecord } from '@vowchat/events';
import { classifyResult } from '../apps/dispatcher/src/delivery/response-classifier';
import {
  publicOnlyLookup,
  WebhookSender,
  type DnsLookup,
} from '../apps/dispatcher/src/delivery/webhook-sender';
import { parseWebhookUrl } from '../apps/dispatcher/src/security/url-policy';
import { cleanUpDispatcherEnv, DispatcherContext, dispatcherTestEnv } from './support/dispatcher-context';
import { ACCEPTED_URLS, HOSTILE_URLS } from './support/hostile-urls';
import { startReceiver, type Receiver } from './support/receiver';
import {
  cleanUp,
  connectPublisher,
  createWebhook,
  dispatcherEnv,
  newSystemNames,
  startDispatcher,
  tailTopic,
} from './support/system';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

const strictPolicy = { allowInsecure: false };

describe('registration through the API', () => {
  const env = dispatcherTestEnv({ ALLOW_INSECURE_WEBHOOK_URLS: 'false' });
  let ctx: DispatcherContext;
  const path = (accountId: number, rest = '') => `/api/v1/accounts/${accountId}/webhooks${rest}`;

  beforeAll(async () => {
    ctx = await DispatcherContext.start(env);
  }, 60_000);

  afterAll(async () => {
    await ctx?.close();
    await cleanUpDispatcherEnv(env);
  }, 60_000);

  it('answers 422 naming the url field for each of the hostile URLs, on POST and on PATCH', async () => {
    expect(HOSTILE_URLS.length).toBeGreaterThanOrEqual(50);
    const created = await ctx.api('POST', path(7001), {
      body: { url: 'https://hooks.example.com/ok', subscriptions: ['message_created'] },
    });
    expect(created.status).toBe(200);
    const webhookId = created.body.payload.webhook.id;
    const accepted: string[] = [];
    for (const { url, why } of HOSTILE_URLS) {
      const post = await ctx.api('POST', path(7001), { body: { url, subscriptions: ['message_created'] } });
      const patch = await ctx.api('PATCH', path(7001, `/${webhookId}`), { body: { url } });
      for (const response of [post, patch]) {
        if (response.status !== 422 || response.body.problems.map((p) => p.field).join() !== 'url')
          accepted.push(`${why} ${JSON.stringify(url)}: ${response.status} ${response.text}`);
      }
    }
    expect(accepted).toEqual([]);
    // Nothing was created or changed by any of them.
    const list = await ctx.api('GET', path(7001));
    expect(list.body.payload.webhooks.map((w) => w.url)).toEqual(['https://hooks.example.com/ok']);
  });

  it('stores an accepted URL normalised, and answers with it', async () => {
    for (const { url, stored } of ACCEPTED_URLS) {
      const response = await ctx.api('POST', path(7002), {
        body: { url, subscriptions: ['message_created'] },
      });
      expect({ url, status: response.status, stored: response.body.payload?.webhook.url }).toEqual({
        url,
        status: 200,
        stored,
      });
      const read = await ctx.api('GET', path(7002, `/${response.body.payload.webhook.id}`));
      expect(read.body.payload.webhook.url).toBe(stored);
      expect(ctx.registry.get(response.body.payload.webhook.id)?.url).toBe(stored);
    }
  });

  it('refuses the header-injection URL that used to be stored as sent', async () => {
    const response = await ctx.api('POST', path(7003), {
      body: { url: 'https://example.com/\r\nX-Injected: 1', subscriptions: ['message_created'] },
    });
    expect(response.status).toBe(422);
    expect(response.body.problems).toEqual([
      {
        field: 'url',
        message:
          'url must not contain whitespace or control characters (U+000D at position 20); percent-encode them',
      },
    ]);
  });
});

describe('the sender, before and at connect time', () => {
  const body = JSON.stringify({ event: 'message_created' });
  let receiver: Receiver;
  let v6: { port: number; connections: () => number; close: () => Promise<void> };
  let strict: WebhookSender;
  const lookups: string[] = [];
  let answers: Record<string, LookupAddress[]> = {};

  /** A resolver that knows only the names a test gives it, and never asks DNS. */
  const fakeLookup: DnsLookup = (hostname, _options, callback) => {
    lookups.push(hostname);
    const addresses = answers[hostname];
    if (addresses === undefined)
      return void setImmediate(() =>
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []),
      );
    setImmediate(() => callback(null, addresses));
  };
  const v4 = (address: string): LookupAddress => ({ address, family: 4 });
  const v6a = (address: string): LookupAddress => ({ address, family: 6 });

  beforeAll(async () => {
    receiver = await startReceiver();
    v6 = await listenCounting('::1');
  });

  afterAll(async () => {
    await receiver.close();
    await v6.close();
  });

  beforeEach(() => {
    strict = new WebhookSender({
      timeoutMs: 1_000,
      responseBodyCap: 64,
      allowInsecure: false,
      lookup: fakeLookup,
    });
    lookups.length = 0;
    answers = {};
  });

  afterEach(() => strict.close());

  const nothingReceived = () => {
    expect(receiver.connectionCount()).toBe(0);
    expect(receiver.requests()).toEqual([]);
    expect(v6.connections()).toBe(0);
  };

  it('refuses loopback in any spelling before connecting: the policy runs again at send time', async () => {
    const port = new URL(receiver.origin).port;
    for (const host of [
      '127.0.0.1',
      '2130706433',
      '0177.0.0.1',
      '0x7f.1',
      '127.1',
      '[::ffff:127.0.0.1]',
      '[::ffff:0:7f00:1]',
      '[::127.0.0.1]',
      'localhost',
      'localhost.',
      'localhost.localdomain',
    ]) {
      const result = await strict.send({ url: `https://${host}:${port}/hook`, body, headers: {} });
      expect({ host, failure: result.failure }).toMatchObject({
        host,
        failure: { reason: 'url_refused', retriable: false },
      });
    }
    expect(lookups).toEqual([]);
    nothingReceived();
  });

  it('refuses a plain http:// URL stored while the development setting was on', async () => {
    const result = await strict.send({ url: receiver.url('/hook'), body, headers: {} });

    expect(result).toMatchObject({ statusCode: null, responseBody: null });
    expect(result.failure).toMatchObject({ reason: 'url_refused', retriable: false });
    expect(result.failure?.message).toBe(
      'webhook url refused by the URL policy: url must use https:// ' +
        '(http:// is allowed only while ALLOW_INSECURE_WEBHOOK_URLS=true)',
    );
    expect(classifyResult(result, 60_000, new Date())).toEqual({ kind: 'fail', reason: 'url_refused' });
    nothingReceived();
  });

  it.each([
    ['127.0.0.1', [v4('127.0.0.1')]],
    ['::1', [v6a('::1')]],
    ['::ffff:127.0.0.1', [v6a('::ffff:127.0.0.1')]],
    ['0.0.0.0', [v4('0.0.0.0')]],
    ['127.0.0.1 and ::1', [v4('127.0.0.1'), v6a('::1')]],
  ])(
    'refuses a name that passes registration but resolves to %s, before any byte is sent',
    async (_what, addresses) => {
      for (const [name, port] of [
        ['evil.test', new URL(receiver.origin).port],
        ['evil6.test', String(v6.port)],
      ]) {
        answers[name] = addresses;
        const url = `https://${name}:${port}/hook`;
        expect(parseWebhookUrl(url, strictPolicy)).toEqual({ ok: true, url });

        const result = await strict.send({ url, body, headers: {} });

        expect(result.failure).toMatchObject({ reason: 'blocked_address', retriable: false });
        expect(result.failure?.message).toContain(
          `${name} resolves to ${addresses.map((a) => a.address).join(', ')}`,
        );
      }
      expect(lookups).toEqual(['evil.test', 'evil6.test']);
      nothingReceived();
    },
  );

  it('uses the injected lookup (a development sender reaches a name it maps to the receiver)', async () => {
    const dev = new WebhookSender({
      timeoutMs: 1_000,
      responseBodyCap: 64,
      allowInsecure: true,
      lookup: fakeLookup,
    });
    answers['receiver.test'] = [v4('127.0.0.1')];
    try {
      const url = receiver.url('/dev').replace('127.0.0.1', 'receiver.test');
      const result = await dev.send({ url, body, headers: {} });
      expect(result).toMatchObject({ statusCode: 200, failure: null });
      expect(receiver.requests('/dev')).toHaveLength(1);
      expect(lookups).toEqual(['receiver.test']);
    } finally {
      await dev.close();
    }
  });
});

describe('the connect-time lookup filter (addresses only, no socket)', () => {
  const resolveThrough = (addresses: LookupAddress[], all: boolean) =>
    new Promise<{ error: (Error & { code?: string }) | null; result: unknown }>((resolve) => {
      const lookup = publicOnlyLookup((_hostname, _options, callback) => callback(null, addresses));
      lookup('rebound.test', { all }, (error, address, family) =>
        resolve({ error, result: all ? address : { address, family } }),
      );
    });

  // Every IP-literal host of the hostile table, as DNS would answer it for a rebinding name.
  const tableAddresses = [
    ...new Set(
      HOSTILE_URLS.flatMap(({ url }) => {
        try {
          const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
          return /^[\d.]+$|:/.test(host) ? [host] : [];
        } catch {
          return [];
        }
      }),
    ),
  ];

  it('covers the table and the metadata address', () => {
    expect(tableAddresses.length).toBeGreaterThanOrEqual(40);
    expect(tableAddresses).toContain('169.254.169.254');
  });

  it.each(tableAddresses)('refuses a name resolving only to %s', async (address) => {
    const family = address.includes(':') ? 6 : 4;
    for (const all of [true, false]) {
      const { error } = await resolveThrough([{ address, family }], all);
      expect(error?.code).toBe('ERR_WEBHOOK_BLOCKED_ADDRESS');
      expect(error?.message).toContain(`rebound.test resolves to ${address}`);
    }
  });

  it('keeps only the public addresses of a mixed answer', async () => {
    const mixed = [
      { address: '169.254.169.254', family: 4 },
      { address: '8.8.8.8', family: 4 },
      { address: '2002:7f00:1::', family: 6 },
      { address: '2606:4700::1111', family: 6 },
    ];
    expect(await resolveThrough(mixed, true)).toEqual({
      error: null,
      result: [
        { address: '8.8.8.8', family: 4 },
        { address: '2606:4700::1111', family: 6 },
      ],
    });
    expect(await resolveThrough(mixed, false)).toEqual({
      error: null,
      result: { address: '8.8.8.8', family: 4 },
    });
  });
});

describe('a webhook stored while ALLOW_INSECURE_WEBHOOK_URLS was on, delivered once it is off', () => {
  it('fails without retrying, recorded as url_refused, and the receiver gets nothing', async () => {
    const names = newSystemNames();
    const receiver = await startReceiver();
    const { kafka, publisher } = await connectPublisher(names);
    const outcomes = await tailTopic<AttemptRecord>(kafka, names.topics.deliveries);
    try {
      const lax = await startDispatcher(dispatcherEnv(names));
      const hook = await createWebhook(lax.baseUrl, 7100, receiver.url('/stored-http'), ['message_created']);
      await lax.stop();
      const strictDispatcher = await startDispatcher(
        dispatcherEnv(names, { ALLOW_INSECURE_WEBHOOK_URLS: 'false' }),
      );
      try {
        await publisher.publish(exampleEvent('message_created', { id: 7100, name: 'Account 7100' }));
        const attempt = await waitFor('the refused attempt', () =>
          outcomes.records.find((r) => r.kind === 'attempt' && r.webhook_id === hook.id),
        );
        expect(attempt).toMatchObject({
          outcome: 'failed',
          error: 'url_refused',
          failure_class: 'connection',
          status_code: null,
          next_attempt_at: null,
        });
        expect(receiver.connectionCount()).toBe(0);
      } finally {
        await strictDispatcher.stop();
      }
    } finally {
      await outcomes.stop();
      await publisher.disconnect();
      await receiver.close();
      await cleanUp(names);
    }
  });
});

/** A TCP listener that counts the connections it accepts (and closes them). */
async function listenCounting(
  host: string,
): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
