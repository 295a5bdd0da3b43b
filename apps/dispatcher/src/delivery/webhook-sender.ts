// The HTTP adapter: one POST to one webhook, bounded in time and in what it reads, reported as a
// result rather than thrown. undici with a keep-alive pool per origin, not fetch: fetch has no
// per-origin pools to size and follows redirects unless told otherwise.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { isPublicAddress, webhookUrlProblem } from '../security/url-policy';
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
  /** Name resolution (dns.lookup by default); tests map names to loopback with their own. */
  lookup?: DnsLookup;
}

/** What the sender needs of dns.lookup: every address of a name. */
export type DnsLookup = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

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
  private readonly targets: ParsedTargets;
  private readonly afterNextTurn = batchedAfterNextTurn();

  constructor(private readonly options: WebhookSenderOptions) {
    this.targets = new ParsedTargets(options.allowInsecure);
    const lookup = options.lookup ?? dnsLookup;
    this.agent = new Agent({
      // No cap per origin: the endpoint lanes already cap concurrency per webhook, and many webhooks
      // can share an origin. A cap here would make requests wait for a socket inside their 5 s
      // deadline, and let one dead webhook's hanging sockets starve its origin's healthy ones.
      connections: null,
      // Belt and braces: our own timer bounds the whole request; these bound each phase.
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: options.allowInsecure
        ? { timeout: options.timeoutMs, ...(options.lookup && { lookup: anyAddressLookup(options.lookup) }) }
        : publicOnlyConnector(options.timeoutMs, publicOnlyLookup(lookup)),
    });
  }

  /** POSTs `request.body` to `request.url`. Network trouble comes back as `failure`, never thrown. */
  send(request: SendRequest): Promise<SendResult> {
    const url = this.targets.parse(request.url);
    if (url instanceof DeliveryFailure) return Promise.resolve(noAnswer(url, 0));
    return new Promise<SendResult>((resolve, reject) => {
      const exchange = new CappedExchange(this.options, this.afterNextTurn, resolve, reject);
      this.agent.dispatch(
        {
          origin: url.origin,
          path: url.path,
          method: 'POST',
          headers: { ...request.headers, 'content-type': 'application/json', 'user-agent': USER_AGENT },
          body: request.body,
        },
        exchange,
      );
    });
  }

  /** Closes every pooled connection once in-flight requests finish. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Webhook URLs parsed once: the same few thousand URLs are posted to over and over. */
class ParsedTargets {
  private readonly parsed = new Map<string, { origin: string; path: string } | DeliveryFailure>();

  constructor(
    private readonly allowInsecure: boolean,
    private readonly max = 10_000,
  ) {}

  parse(raw: string): { origin: string; path: string } | DeliveryFailure {
    let target = this.parsed.get(raw);
    if (target === undefined) {
      target = parseTarget(raw, this.allowInsecure);
      // Bounded: past the cap (webhooks churned), start over rather than grow.
      if (this.parsed.size >= this.max) this.parsed.clear();
      this.parsed.set(raw, target);
    }
    return target;
  }
}

function parseTarget(
  raw: string,
  allowInsecure: boolean,
): { origin: string; path: string } | DeliveryFailure {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return new DeliveryFailure('invalid_request', `webhook url "${raw}" is not a valid absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return new DeliveryFailure('invalid_request', `webhook url must use https:// (got ${url.protocol})`);
  // The registration policy again: a URL stored under a laxer one (http:// while
  // ALLOW_INSECURE_WEBHOOK_URLS was on, or before a rule existed) is refused, not sent.
  const problem = allowInsecure ? null : webhookUrlProblem(raw, { allowInsecure: false });
  if (problem !== null)
    return new DeliveryFailure(
      'url_refused',
      `webhook url refused by the URL policy: ${problem}` +
        (url.protocol === 'http:' ? ' (http:// is allowed only while ALLOW_INSECURE_WEBHOOK_URLS=true)' : ''),
    );
  return { origin: url.origin, path: url.pathname + url.search };
}

function noAnswer(failure: DeliveryFailure, durationMs: number): SendResult {
  return { statusCode: null, durationMs, responseBody: null, retryAfter: null, failure };
}

function firstHeader(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/**
 * Runs callbacks one event-loop turn later, those collected in the same turn together: one
 * check-phase callback (and one microtask checkpoint) per turn rather than two per answer.
 */
function batchedAfterNextTurn(): (callback: () => void) => void {
  let collecting: (() => void)[] = [];
  return (callback) => {
    if (collecting.length === 0)
      setImmediate(() => {
        const ready = collecting;
        collecting = [];
        setImmediate(() => ready.forEach((run) => run()));
      });
    collecting.push(callback);
  };
}

/** Why an exchange was cut short by us (never reported as such: it maps to a timeout or to the answer). */
class ExchangeAborted extends Error {}

/**
 * One request/answer on undici's handler interface (no response stream, no AbortController: this
 * is the hot path). Keeps the first `responseBodyCap` bytes of the answer as text and disposes of
 * the rest: drained when small (the socket goes back to the pool), otherwise aborted (the socket
 * is closed). The status decides the outcome; a body cut short by the deadline or the connection
 * does not change it. Settles exactly once.
 */
class CappedExchange implements Dispatcher.DispatchHandler {
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private controller: Dispatcher.DispatchController | null = null;
  private timedOut = false;
  private settled = false;
  private statusCode: number | null = null;
  private retryAfter: string | null = null;
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;
  private seenBytes = 0;

  constructor(
    private readonly options: WebhookSenderOptions,
    private readonly afterNextTurn: (callback: () => void) => void,
    private readonly resolve: (result: SendResult) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.timer = setTimeout(() => this.onDeadline(), options.timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // The deadline passed while the request waited for its connection.
    if (this.timedOut) controller.abort(new ExchangeAborted('deadline passed before the request was sent'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    this.statusCode = statusCode;
    this.retryAfter = firstHeader(headers['retry-after']);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.seenBytes += chunk.length;
    const cap = this.options.responseBodyCap;
    if (this.keptBytes < cap) {
      const part = chunk.subarray(0, cap - this.keptBytes);
      this.kept.push(part);
      this.keptBytes += part.length;
    }
    if (this.seenBytes > Math.max(cap, DRAIN_LIMIT_BYTES)) {
      this.answered();
      controller.abort(new ExchangeAborted('answer too large to drain'));
    }
  }

  onResponseEnd(): void {
    clearTimeout(this.timer);
    // undici hands a socket back to its pool in a check-phase callback it schedules just after
    // this one returns (it distrusts servers that close despite keep-alive). Settling one loop
    // turn later, after that callback, lets the next request to this origin reuse the socket
    // instead of opening another one.
    this.afterNextTurn(() => this.answered());
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.statusCode !== null) return this.answered();
    const failure = this.timedOut ? timeoutFailure(this.options.timeoutMs) : failureFromError(error);
    if (failure === null) return this.settle(() => this.reject(error));
    this.settle(() => this.resolve(noAnswer(failure, this.elapsed())));
  }

  private onDeadline(): void {
    this.timedOut = true;
    if (this.controller) {
      // Surfaces as onResponseError: a timeout without an answer, or the answer cut short.
      this.controller.abort(new ExchangeAborted(`no complete answer within ${this.options.timeoutMs} ms`));
    } else {
      // Still waiting for a connection (its own timeout bounds it): the attempt is over for us.
      this.settle(() => this.resolve(noAnswer(timeoutFailure(this.options.timeoutMs), this.elapsed())));
    }
  }

  private answered(): void {
    const statusCode = this.statusCode;
    if (statusCode === null) return;
    this.settle(() =>
      this.resolve({
        statusCode,
        durationMs: this.elapsed(),
        // A decoder without end() drops a multi-byte character split by the cap instead of mangling it.
        responseBody: new StringDecoder('utf8').write(
          this.kept.length === 1 ? this.kept[0] : Buffer.concat(this.kept),
        ),
        retryAfter: this.retryAfter,
        failure: failureFromStatus(statusCode),
      }),
    );
  }

  private settle(report: () => void): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    report();
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.started);
  }
}

/**
 * SSRF guard at connect time, on the addresses actually connected to: an IP-literal host is
 * checked as is; a name is resolved here and only its public addresses are handed to the socket,
 * so a public name that resolves to a private address (or rebinds to one) is refused.
 */
function publicOnlyConnector(timeoutMs: number, lookup: LookupFunction): buildConnector.connector {
  const connect = buildConnector({ timeout: timeoutMs, lookup });
  return (options, callback) => {
    if (isIP(options.hostname) && !isPublicAddress(options.hostname)) {
      callback(new BlockedAddressError(options.hostname, [options.hostname]), null);
      return;
    }
    connect(options, callback);
  };
}

/** A socket's lookup that hands over only the public addresses `lookup` returns (exported for tests). */
export const publicOnlyLookup =
  (lookup: DnsLookup): LookupFunction =>
  (hostname, options, callback) =>
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
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

/** A socket's lookup on `lookup`, every address allowed (development). */
const anyAddressLookup =
  (lookup: DnsLookup): LookupFunction =>
  (hostname, options, callback) =>
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      if (options.all) return callback(null, addresses);
      if (addresses.length === 0)
        return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
      callback(null, addresses[0].address, addresses[0].family);
    });
