// The HTTP sender against a real receiver on 127.0.0.1: every outcome class, as result and verdict.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { classifyResult } from '../apps/dispatcher/src/delivery/response-classifier';
import { USER_AGENT, WebhookSender, type SendResult } from '../apps/dispatcher/src/delivery/webhook-sender';
import { startReceiver, type Receiver } from './support/receiver';

const TIMEOUT_MS = 300;
const BODY_CAP = 16;
const RETRY_AFTER_CAP_MS = 60_000;

describe('WebhookSender', () => {
  let receiver: Receiver;
  let sender: WebhookSender;
  const body = JSON.stringify({ event: 'message_created', id: '123' });
  const post = (path: string, via = sender) =>
    via.send({ url: receiver.url(path), body, headers: { 'webhook-id': 'evt-1' } });
  const verdictOf = (result: SendResult) => classifyResult(result, RETRY_AFTER_CAP_MS, new Date());

  beforeEach(async () => {
    receiver = await startReceiver();
    sender = new WebhookSender({ timeoutMs: TIMEOUT_MS, responseBodyCap: BODY_CAP, allowInsecure: true });
  });

  afterEach(async () => {
    // The receiver first: closing it ends hanging sockets, which lets the sender close promptly.
    await receiver.close();
    await sender.close();
  });

  it('POSTs the body as JSON with our headers, and keeps only the capped start of the answer', async () => {
    receiver.behave('/a', { kind: 'status', code: 200, body: 'é'.repeat(20) });

    const result = await post('/a');

    expect(result).toMatchObject({ statusCode: 200, failure: null, retryAfter: null });
    // 16 bytes are 8 two-byte characters; a character split by the cap is dropped, not mangled.
    expect(result.responseBody).toBe('é'.repeat(8));
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(verdictOf(result)).toEqual({ kind: 'delivered' });
    const [request] = receiver.requests('/a');
    expect(request.method).toBe('POST');
    expect(request.body).toBe(body);
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': 'evt-1',
    });
  });

  it('reuses one keep-alive connection for sequential deliveries', async () => {
    for (let i = 0; i < 5; i++) expect((await post('/a')).statusCode).toBe(200);

    expect(receiver.requests('/a')).toHaveLength(5);
    expect(new Set(receiver.requests('/a').map((r) => r.connection)).size).toBe(1);
    expect(receiver.connectionCount()).toBe(1);
  });

  it('keeps using the connection after an answer whose body exceeds the cap', async () => {
    receiver.behave('/big', { kind: 'status', code: 200, body: 'x'.repeat(10_000) });

    await post('/big');
    await post('/big');

    expect(receiver.connectionCount()).toBe(1);
  });

  it('still frees the socket when an answer is too large to drain', async () => {
    receiver.behave('/huge', { kind: 'status', code: 200, body: 'x'.repeat(1_000_000) });

    const result = await post('/huge');

    expect(result.statusCode).toBe(200);
    expect(result.responseBody).toBe('x'.repeat(BODY_CAP));
    expect((await post('/a')).statusCode).toBe(200);
    // Destroyed rather than drained: the next request needed a new connection.
    expect(receiver.connectionCount()).toBeGreaterThan(1);
  });

  it('fails a 400 without retrying, keeping the answer', async () => {
    receiver.behave('/a', { kind: 'status', code: 400, body: 'bad payload' });

    const result = await post('/a');

    expect(result).toMatchObject({ statusCode: 400, responseBody: 'bad payload' });
    expect(result.failure).toMatchObject({ reason: 'http_4xx', retriable: false, statusCode: 400 });
    expect(verdictOf(result)).toEqual({ kind: 'fail', reason: 'http_4xx' });
  });

  it('reports a 410 as gone', async () => {
    receiver.behave('/a', { kind: 'status', code: 410 });

    const result = await post('/a');

    expect(result.failure).toMatchObject({ reason: 'gone', retriable: false });
    expect(verdictOf(result)).toEqual({ kind: 'gone', reason: 'gone' });
  });

  it('retries a 429 after its Retry-After', async () => {
    receiver.behave('/a', { kind: 'status', code: 429, headers: { 'retry-after': '7' } });

    const result = await post('/a');

    expect(result).toMatchObject({ statusCode: 429, retryAfter: '7' });
    expect(verdictOf(result)).toEqual({ kind: 'retry', reason: 'http_429', retryAfterMs: 7_000 });
  });

  it('retries a 500', async () => {
    receiver.behave('/a', { kind: 'status', code: 500, body: 'oops' });

    const result = await post('/a');

    expect(result.failure).toMatchObject({ reason: 'http_5xx', retriable: true, statusCode: 500 });
    expect(verdictOf(result)).toEqual({ kind: 'retry', reason: 'http_5xx', retryAfterMs: null });
  });

  it('gives up on an endpoint that never answers, as a retriable timeout', async () => {
    receiver.behave('/slow', { kind: 'hang' });

    const result = await post('/slow');

    expect(result).toMatchObject({ statusCode: null, responseBody: null });
    expect(result.failure).toMatchObject({ reason: 'timeout', retriable: true });
    expect(verdictOf(result)).toEqual({ kind: 'retry', reason: 'timeout', retryAfterMs: null });
    expect(receiver.requests('/slow')).toHaveLength(1);
  });

  it('counts a delay past the time limit as a timeout', async () => {
    receiver.behave('/slow', { kind: 'delay', ms: TIMEOUT_MS * 5 });

    expect((await post('/slow')).failure?.reason).toBe('timeout');
  });

  it('times out while the connection is still being set up, before any request was sent', async () => {
    // A TCP listener that never speaks: the TLS handshake of an https:// URL never completes.
    const silent = await listen(createServer(() => undefined));

    const result = await sender.send({ url: `https://127.0.0.1:${silent.port}/a`, body, headers: {} });

    expect(result).toMatchObject({ statusCode: null, responseBody: null });
    expect(result.failure).toMatchObject({ reason: 'timeout', retriable: true });
    await silent.close();
  });

  it('keeps the status and the start of the body when the deadline cuts the body short', async () => {
    const stalling = await listen(
      createHttpServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.write('partial'); // ...and never ends
      }),
    );

    const result = await sender.send({ url: `http://127.0.0.1:${stalling.port}/a`, body, headers: {} });

    expect(result).toMatchObject({ statusCode: 200, responseBody: 'partial', failure: null });
    expect(verdictOf(result)).toEqual({ kind: 'delivered' });
    await stalling.close();
  });

  it('reports a dropped connection as a reset', async () => {
    receiver.behave('/a', { kind: 'drop' });

    const result = await post('/a');

    expect(result.statusCode).toBeNull();
    expect(result.failure).toMatchObject({ reason: 'connection_reset', retriable: true });
    expect(receiver.requests('/a')).toHaveLength(1);
  });

  it('reports a closed port as connection refused', async () => {
    const port = await closedPort();

    const result = await sender.send({ url: `http://127.0.0.1:${port}/a`, body, headers: {} });

    expect(result.failure).toMatchObject({ reason: 'connection_refused', retriable: true });
    expect(verdictOf(result)).toEqual({ kind: 'retry', reason: 'connection_refused', retryAfterMs: null });
  });

  it('does not follow a redirect', async () => {
    receiver.behave('/old', { kind: 'redirect', to: '/new' });

    const result = await post('/old');

    expect(result.statusCode).toBe(302);
    expect(result.failure).toMatchObject({ reason: 'redirect', retriable: false });
    expect(verdictOf(result)).toEqual({ kind: 'fail', reason: 'redirect' });
    expect(receiver.requests('/new')).toHaveLength(0);
  });

  it('refuses a malformed URL without throwing', async () => {
    const result = await sender.send({ url: 'not a url', body, headers: {} });

    expect(result.failure).toMatchObject({ reason: 'invalid_request', retriable: false });
  });

  describe('when insecure targets are not allowed', () => {
    let strict: WebhookSender;
    beforeEach(() => {
      strict = new WebhookSender({ timeoutMs: TIMEOUT_MS, responseBodyCap: BODY_CAP, allowInsecure: false });
    });
    afterEach(() => strict.close());

    it('refuses a loopback IP before connecting', async () => {
      const result = await strict.send({
        url: receiver.url('/a').replace('http:', 'https:'),
        body,
        headers: {},
      });

      expect(result.failure).toMatchObject({ reason: 'url_refused', retriable: false });
      expect(verdictOf(result)).toEqual({ kind: 'fail', reason: 'url_refused' });
      expect(receiver.connectionCount()).toBe(0);
    });

    it('refuses a plain http:// URL before connecting', async () => {
      const result = await post('/a', strict);

      expect(result.failure).toMatchObject({ reason: 'url_refused', retriable: false });
      expect(result.failure?.message).toContain('ALLOW_INSECURE_WEBHOOK_URLS');
      expect(receiver.connectionCount()).toBe(0);
    });

    it('refuses a host name that resolves to loopback', async () => {
      const resolving = new WebhookSender({
        timeoutMs: TIMEOUT_MS,
        responseBodyCap: BODY_CAP,
        allowInsecure: false,
        // A local resolver: no DNS query leaves the machine.
        lookup: (_hostname, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]),
      });
      const url = receiver.url('/a').replace('http://127.0.0.1', 'https://hooks.example.com');

      const result = await resolving.send({ url, body, headers: {} });
      await resolving.close();

      expect(result.failure).toMatchObject({ reason: 'blocked_address', retriable: false });
      expect(result.failure?.message).toContain('hooks.example.com resolves to 127.0.0.1');
      expect(receiver.connectionCount()).toBe(0);
    });
  });
});

/** A port that was just listening and is now closed, so connecting to it is refused. */
/** Listens on a free loopback port; `close` also ends the connections left open. */
async function listen(server: Server | HttpServer): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
