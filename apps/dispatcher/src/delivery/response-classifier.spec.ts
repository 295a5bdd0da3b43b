import { DeliveryFailure, failureFromError, failureFromStatus, timeoutFailure } from './delivery-error';
import { classifyResult, failureClassOf, parseRetryAfter } from './response-classifier';
import type { SendResult } from './webhook-sender';

const CAP_MS = 3_600_000;
const NOW = new Date('2024-01-15T10:30:00Z');

function answered(statusCode: number, retryAfter: string | null = null): SendResult {
  return { statusCode, durationMs: 12, responseBody: '', retryAfter, failure: failureFromStatus(statusCode) };
}

function noAnswer(failure: DeliveryFailure): SendResult {
  return { statusCode: null, durationMs: 12, responseBody: null, retryAfter: null, failure };
}

function networkError(code: string): DeliveryFailure {
  return failureFromError(Object.assign(new Error(`simulated ${code}`), { code }))!;
}

describe('classifyResult', () => {
  it.each([200, 201, 202, 204, 299])('delivers on %i', (status) => {
    expect(classifyResult(answered(status), CAP_MS, NOW)).toEqual({ kind: 'delivered' });
  });

  it.each([400, 401, 403, 404, 409, 413, 422, 499])('fails on %i without retrying', (status) => {
    expect(classifyResult(answered(status), CAP_MS, NOW)).toEqual({ kind: 'fail', reason: 'http_4xx' });
  });

  it('reports 410 Gone so the webhook gets disabled', () => {
    expect(classifyResult(answered(410), CAP_MS, NOW)).toEqual({ kind: 'gone', reason: 'gone' });
  });

  it.each([
    [408, 'http_408'],
    [429, 'http_429'],
  ])('retries %i honouring Retry-After in seconds', (status, reason) => {
    expect(classifyResult(answered(status, '120'), CAP_MS, NOW)).toEqual({
      kind: 'retry',
      reason,
      retryAfterMs: 120_000,
    });
  });

  it('retries a 429 without Retry-After on the schedule', () => {
    expect(classifyResult(answered(429), CAP_MS, NOW)).toEqual({
      kind: 'retry',
      reason: 'http_429',
      retryAfterMs: null,
    });
  });

  it.each([500, 502, 504, 599])('retries %i', (status) => {
    expect(classifyResult(answered(status), CAP_MS, NOW)).toEqual({
      kind: 'retry',
      reason: 'http_5xx',
      retryAfterMs: null,
    });
  });

  it('honours Retry-After on 503, whose meaning RFC 9110 defines', () => {
    expect(classifyResult(answered(503, '30'), CAP_MS, NOW)).toMatchObject({
      kind: 'retry',
      retryAfterMs: 30_000,
    });
  });

  it('ignores Retry-After on a 500', () => {
    expect(classifyResult(answered(500, '30'), CAP_MS, NOW)).toMatchObject({
      kind: 'retry',
      retryAfterMs: null,
    });
  });

  it.each([301, 302, 303, 304, 307, 308])('fails on redirect %i (not followed, not retried)', (status) => {
    expect(classifyResult(answered(status), CAP_MS, NOW)).toEqual({ kind: 'fail', reason: 'redirect' });
  });

  it.each([101, 199, 600, 999])('retries the odd status %i, as a broken proxy is transient', (status) => {
    expect(classifyResult(answered(status), CAP_MS, NOW)).toEqual({
      kind: 'retry',
      reason: 'http_unexpected',
      retryAfterMs: null,
    });
  });

  it.each([
    ['ECONNREFUSED', 'connection_refused'],
    ['ECONNRESET', 'connection_reset'],
    ['UND_ERR_SOCKET', 'connection_reset'],
    ['ENOTFOUND', 'dns_failure'],
    ['EAI_AGAIN', 'dns_failure'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['EHOSTUNREACH', 'network_unreachable'],
    ['CERT_HAS_EXPIRED', 'tls_failure'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls_failure'],
    ['HPE_INVALID_CONSTANT', 'protocol_error'],
    ['EPROTO', 'network_error'],
  ])('retries when the network fails with %s (%s)', (code, reason) => {
    expect(classifyResult(noAnswer(networkError(code)), CAP_MS, NOW)).toEqual({
      kind: 'retry',
      reason,
      retryAfterMs: null,
    });
  });

  it('retries a timeout', () => {
    expect(classifyResult(noAnswer(timeoutFailure(5_000)), CAP_MS, NOW)).toEqual({
      kind: 'retry',
      reason: 'timeout',
      retryAfterMs: null,
    });
  });

  it.each([
    ['ERR_WEBHOOK_BLOCKED_ADDRESS', 'blocked_address'],
    ['UND_ERR_INVALID_ARG', 'invalid_request'],
  ])('fails without retrying on %s, which would fail the same way every time', (code, reason) => {
    expect(classifyResult(noAnswer(networkError(code)), CAP_MS, NOW)).toEqual({ kind: 'fail', reason });
  });

  it('fails without retrying on a URL the policy refuses at send time', () => {
    const failure = new DeliveryFailure('url_refused', 'webhook url refused by the URL policy');
    expect(failure.retriable).toBe(false);
    expect(classifyResult(noAnswer(failure), CAP_MS, NOW)).toEqual({ kind: 'fail', reason: 'url_refused' });
  });

  it('lets a failure reported by the sender take precedence over the status', () => {
    const result = { ...answered(200), failure: timeoutFailure(5_000) };
    expect(classifyResult(result, CAP_MS, NOW)).toMatchObject({ kind: 'retry', reason: 'timeout' });
  });

  it('derives the failure from the status when the result carries none', () => {
    expect(classifyResult({ ...answered(500), failure: null }, CAP_MS, NOW)).toMatchObject({ kind: 'retry' });
  });

  it('refuses a result with neither status nor failure, a programming error', () => {
    expect(() =>
      classifyResult(
        { statusCode: null, durationMs: 0, responseBody: null, retryAfter: null, failure: null },
        CAP_MS,
        NOW,
      ),
    ).toThrow('a SendResult needs a statusCode or a failure');
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', CAP_MS, NOW)).toBe(0);
    expect(parseRetryAfter(' 5 ', CAP_MS, NOW)).toBe(5_000);
  });

  it('reads an IMF-fixdate relative to now', () => {
    expect(parseRetryAfter('Mon, 15 Jan 2024 10:31:30 GMT', CAP_MS, NOW)).toBe(90_000);
  });

  it('reads the obsolete RFC 850 and asctime forms as GMT', () => {
    expect(parseRetryAfter('Monday, 15-Jan-24 10:31:00 GMT', CAP_MS, NOW)).toBe(60_000);
    expect(parseRetryAfter('Mon Jan 15 10:32:00 2024', CAP_MS, NOW)).toBe(120_000);
  });

  it('clamps to the cap and to zero', () => {
    expect(parseRetryAfter('86400', CAP_MS, NOW)).toBe(CAP_MS);
    expect(parseRetryAfter('Mon, 15 Jan 2024 09:00:00 GMT', CAP_MS, NOW)).toBe(0);
  });

  it.each([null, '', 'soon', '-5', '1.5', '1 x', '2024-01-15T10:31:00Z'])('gives null for %p', (value) => {
    expect(parseRetryAfter(value, CAP_MS, NOW)).toBeNull();
  });
});

describe('failureFromError', () => {
  it('passes a programming error through as null so it is not retried', () => {
    expect(failureFromError(new TypeError('undefined is not a function'))).toBeNull();
    expect(failureFromError('a string')).toBeNull();
  });

  it('finds the code in the cause chain and keeps the error as cause', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
    const outer = new Error('request failed', { cause: inner });
    const failure = failureFromError(outer)!;
    expect(failure).toMatchObject({ reason: 'connection_refused', retriable: true });
    expect(failure.message).toBe('connection refused (ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:443)');
    expect(failure.cause).toBe(outer);
  });
});

describe('failureClassOf', () => {
  it.each([
    [200, null],
    [204, null],
    [301, 'redirect'],
    [400, 'http_4xx'],
    [404, 'http_4xx'],
    [408, 'throttled'],
    [429, 'throttled'],
    [410, 'gone'],
    [500, 'http_5xx'],
    [503, 'http_5xx'],
    [199, 'http_5xx'],
  ])('an answer %p is %p', (status, expected) => {
    expect(failureClassOf({ statusCode: status, failure: null })).toBe(expected);
  });

  it.each([
    ['timeout', 'timeout'],
    ['connection_refused', 'connection'],
    ['dns_failure', 'connection'],
    ['tls_failure', 'connection'],
    ['blocked_address', 'connection'],
    ['url_refused', 'connection'],
    ['invalid_request', 'internal'],
  ] as const)('a network failure %p is %p', (reason, expected) => {
    expect(failureClassOf({ statusCode: null, failure: new DeliveryFailure(reason, reason) })).toBe(expected);
  });

  it('a body cut short after a 2xx head is a timeout, not a delivery', () => {
    expect(failureClassOf({ statusCode: 200, failure: timeoutFailure(5000) })).toBe('timeout');
  });

  it('neither an answer nor a failure is our own error', () => {
    expect(failureClassOf({ statusCode: null, failure: null })).toBe('internal');
  });
});
