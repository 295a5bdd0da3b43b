// The HTTP adapter: one POST to one webhook, bounded in time and in what it reads, reported as a
// result rather than thrown. undici with a keep-alive pool per origin, not fetch: fetch has no
// per-origin pools to size and follows redirects unless told otherwise.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { Agent, buildConnector } from 'undici';
import { isPublicAddress } from '../security/url-policy';
import {
  BlockedAddressError,
  DeliveryFailure,
  failureFromError,
  failureFromStatus,
  timeoutFailure,
} from './delivery-error';

export interface WebhookSenderOptions {
  /** Total time for one request: connect, headers and body. */
  timeoutMs: number;
  /** Response bytes kept for the delivery log. */
  responseBodyCap: number;
  /** Development only: allow loopback, private and reserved target addresses. */
  allowInsecure: boolean;
}

export interface SendRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

export interface SendResult {
  /** The answer's status, or null when none arrived. */
  statusCode: number | null;
  durationMs: number;
  /** The start of the answer's body, UTF-8, at most responseBodyCap bytes; null without an answer. */
  responseBody: string | null;
  /** The raw Retry-After header, for the classifier to interpret. */
  retryAfter: string | null;
  /** Why this was not a delivery (null for 2xx). */
  failure: DeliveryFailure | null;
}

export const USER_AGENT = 'VowChat-Webhooks/1.0';

// Past the cap, a body this small is still read to the end so the socket can be reused;
// anything larger is cut off by destroying the socket.
const DRAIN_LIMIT_BYTES = 64 * 1024;

export class WebhookSender {
  private readonly agent: Agent;

  constructor(private readonly options: WebhookSenderOptions) {
    this.agent = new Agent({
      // No cap per origin: the endpoint lanes already cap concurrency per webhook, and many webhooks
      // can share an origin. A cap here would make requests wait for a socket inside their 5 s
      // deadline, and let one dead webhook's hanging sockets starve its origin's healthy ones.
      connections: null,
      // Belt and braces: our own timer bounds the whole request; these bound each phase.
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: options.allowInsecure
        ? { timeout: options.timeoutMs }
        : publicOnlyConnector(options.timeoutMs),
    });
  }

  /** POSTs `request.body` to `request.url`. Network trouble comes back as `failure`, never thrown. */
  async send(request: SendRequest): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const url = parseTarget(request.url);
    if (url instanceof DeliveryFailure) return noAnswer(url, elapsed());

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      const response = await this.agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: { ...request.headers, 'content-type': 'application/json', 'user-agent': USER_AGENT },
        body: request.body,
        signal: controller.signal,
      });
      // The status decides the outcome; the body is only kept for the log, so a body cut short
      // by the deadline or the connection does not change the verdict.
      const responseBody = await readCapped(response.body, this.options.responseBodyCap);
      const durationMs = elapsed();
      // undici hands a socket back to its pool one event-loop turn after the answer ends (it
      // distrusts servers that close despite keep-alive). Waiting that turn lets the next request
      // to this origin reuse the socket instead of opening another one.
      await new Promise((resolve) => setImmediate(resolve));
      return {
        statusCode: response.statusCode,
        durationMs,
        responseBody,
        retryAfter: firstHeader(response.headers['retry-after']),
        failure: failureFromStatus(response.statusCode),
      };
    } catch (error) {
      const failure = controller.signal.aborted
        ? timeoutFailure(this.options.timeoutMs)
        : failureFromError(error);
      if (failure === null) throw error;
      return noAnswer(failure, elapsed());
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every pooled connection once in-flight requests finish. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}

function parseTarget(raw: string): URL | DeliveryFailure {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return new DeliveryFailure('invalid_request', `webhook url "${raw}" is not a valid absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return new DeliveryFailure('invalid_request', `webhook url must use https:// (got ${url.protocol})`);
  return url;
}

function noAnswer(failure: DeliveryFailure, durationMs: number): SendResult {
  return { statusCode: null, durationMs, responseBody: null, retryAfter: null, failure };
}

function firstHeader(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/**
 * Keeps the first `cap` bytes of the body as text and disposes of the rest: drained when small
 * (the socket goes back to the pool), otherwise destroyed (the socket is closed). Never throws.
 */
async function readCapped(body: Readable, cap: number): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let seenBytes = 0;
  await new Promise<void>((resolve) => {
    body.on('data', (chunk: Buffer) => {
      seenBytes += chunk.length;
      if (keptBytes < cap) {
        const part = chunk.subarray(0, cap - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
      if (seenBytes > Math.max(cap, DRAIN_LIMIT_BYTES)) body.destroy();
    });
    body.on('error', () => resolve());
    body.on('close', () => resolve());
  });
  // A decoder without end() drops a multi-byte character split by the cap instead of mangling it.
  return new StringDecoder('utf8').write(Buffer.concat(kept));
}

/**
 * SSRF guard at connect time, on the addresses actually connected to: an IP-literal host is
 * checked as is; a name is resolved here and only its public addresses are handed to the socket,
 * so a public name that resolves to a private address (or rebinds to one) is refused.
 */
function publicOnlyConnector(timeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: timeoutMs, lookup: publicOnlyLookup });
  return (options, callback) => {
    if (isIP(options.hostname) && !isPublicAddress(options.hostname)) {
      callback(new BlockedAddressError(options.hostname, [options.hostname]), null);
      return;
    }
    connect(options, callback);
  };
}

const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '');
    const allowed = addresses.filter((a) => isPublicAddress(a.address));
    if (allowed.length === 0)
      return callback(
        new BlockedAddressError(
          hostname,
          addresses.map((a) => a.address),
        ),
        '',
      );
    // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
    if (options.all) return callback(null, allowed);
    callback(null, allowed[0].address, allowed[0].family);
  });
};
