// A real webhook receiver on 127.0.0.1 for integration tests and the benchmark. It records every
// request and answers each path as told; tests change a path's behaviour while it runs.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitFor } from './wait-for';

export type Behaviour =
  | { kind: 'ok' }
  | { kind: 'status'; code: number; headers?: Record<string, string>; body?: string }
  /** Reads the request, then never answers (until the receiver closes). */
  | { kind: 'hang' }
  /** Reads the request, then resets the connection without an answer. */
  | { kind: 'drop' }
  | { kind: 'delay'; ms: number }
  | { kind: 'redirect'; to: string };

export interface ReceivedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** The body as UTF-8 text. */
  body: string;
  receivedAt: Date;
  /** Which TCP connection carried it (1, 2, …): equal ids mean a reused keep-alive socket. */
  connection: number;
}

export interface Receiver {
  readonly origin: string;
  url(path: string): string;
  /** How `path` (without query) answers from now on; the default is `ok`. */
  behave(path: string, behaviour: Behaviour): void;
  /** Requests received, for one path (without query) or for all. */
  requests(path?: string): ReceivedRequest[];
  waitForRequests(path: string, count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** TCP connections accepted so far. */
  connectionCount(): number;
  /** Ends every connection, hanging ones included, and stops listening. */
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** Called for every request once its body is read (the benchmark counts with it). */
  onRequest?: (request: ReceivedRequest) => void;
  /** Keep requests in memory for `requests()` (default true; the benchmark turns it off). */
  record?: boolean;
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const behaviours = new Map<string, Behaviour>();
  const received: ReceivedRequest[] = [];
  const connectionIds = new WeakMap<Socket, number>();
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '/',
        headers: req.headers,
        rawBody,
        body: rawBody.toString('utf8'),
        receivedAt: new Date(),
        connection: connectionIds.get(req.socket) ?? 0,
      };
      if (options.record !== false) received.push(request);
      options.onRequest?.(request);
      answer(behaviours.get(pathOf(request.path)) ?? { kind: 'ok' }, res);
    });
  });
  server.on('connection', (socket) => connectionIds.set(socket, ++connections));

  function answer(behaviour: Behaviour, res: ServerResponse): void {
    switch (behaviour.kind) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
        return;
      case 'status':
        res.writeHead(behaviour.code, behaviour.headers).end(behaviour.body ?? '');
        return;
      case 'hang':
        return;
      case 'drop':
        res.socket?.resetAndDestroy();
        return;
      case 'delay': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
        }, behaviour.ms);
        timers.add(timer);
        return;
      }
      case 'redirect':
        res.writeHead(302, { location: behaviour.to }).end();
        return;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    url: (path) => origin + path,
    behave: (path, behaviour) => void behaviours.set(path, behaviour),
    requests: (path) =>
      path === undefined ? [...received] : received.filter((r) => pathOf(r.path) === path),
    waitForRequests: (path, count, timeoutMs) =>
      waitFor(
        `${count} request(s) to ${path}`,
        () => {
          const got = received.filter((r) => pathOf(r.path) === path);
          return got.length >= count ? got : undefined;
        },
        { timeoutMs },
      ),
    connectionCount: () => connections,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function pathOf(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?');
  return q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
}
