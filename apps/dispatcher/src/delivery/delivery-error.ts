// Why one attempt did not deliver, with its retry policy attached (KafkaJS marks its errors the same
// way). The sender returns these instead of throwing; the classifier turns them into a verdict.
import { STATUS_CODES } from 'node:http';
import type { FailureClass } from '@vowchat/events';

/** Short machine codes, stored with each attempt and counted in metrics. */
export type FailureReason =
  // No usable HTTP answer.
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'network_unreachable'
  | 'dns_failure'
  | 'tls_failure'
  | 'protocol_error'
  | 'network_error'
  | 'blocked_address'
  | 'url_refused'
  | 'invalid_request'
  // An HTTP answer other than 2xx.
  | 'redirect'
  | 'http_408'
  | 'http_429'
  | 'gone'
  | 'http_4xx'
  | 'http_5xx'
  | 'http_unexpected';

/**
 * The policy, in one table. Transient trouble is retried: the endpoint may recover. What retrying
 * cannot fix is not: a 4xx means the receiver refused this request, a redirect means the URL is
 * stale, a blocked address or an invalid request would fail identically every time.
 */
const RETRIABLE: Readonly<Record<FailureReason, boolean>> = {
  timeout: true,
  connection_refused: true,
  connection_reset: true,
  network_unreachable: true,
  dns_failure: true,
  // Certificates get renewed; an expired one is usually fixed within the retry window.
  tls_failure: true,
  protocol_error: true,
  network_error: true,
  blocked_address: false,
  // The stored URL breaks the URL policy in force (http:// once ALLOW_INSECURE_WEBHOOK_URLS is off):
  // every attempt would be refused the same way until the webhook's URL is changed.
  url_refused: false,
  invalid_request: false,
  redirect: false,
  http_408: true,
  http_429: true,
  gone: false,
  http_4xx: false,
  http_5xx: true,
  // Outside 1xx-5xx, or a 1xx as a final answer: a broken proxy rather than a refusal, so retry.
  http_unexpected: true,
};

/**
 * The coarse class each reason is counted under in the health rollups. A blocked address is a
 * connection problem of the receiver's making (its DNS), an unbuildable request is ours.
 */
export const FAILURE_CLASS_OF: Readonly<Record<FailureReason, FailureClass>> = {
  timeout: 'timeout',
  connection_refused: 'connection',
  connection_reset: 'connection',
  network_unreachable: 'connection',
  dns_failure: 'connection',
  tls_failure: 'connection',
  protocol_error: 'connection',
  network_error: 'connection',
  blocked_address: 'connection',
  // Like a blocked address: the SSRF guard refused the receiver's URL before connecting.
  url_refused: 'connection',
  invalid_request: 'internal',
  redirect: 'redirect',
  http_408: 'throttled',
  http_429: 'throttled',
  gone: 'gone',
  http_4xx: 'http_4xx',
  http_5xx: 'http_5xx',
  // Retried like a 5xx: a broken proxy on the receiver's side.
  http_unexpected: 'http_5xx',
};

/** Whether `text` is one of the reason codes (what older attempt records keep in `error`). */
export function isFailureReason(text: string): text is FailureReason {
  return Object.hasOwn(FAILURE_CLASS_OF, text);
}

export class DeliveryFailure extends Error {
  readonly retriable: boolean;

  constructor(
    readonly reason: FailureReason,
    message: string,
    readonly statusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryFailure';
    this.retriable = RETRIABLE[reason];
  }
}

/** Thrown from the connect-time DNS check when a webhook host resolves only to non-public addresses. */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_WEBHOOK_BLOCKED_ADDRESS';

  constructor(
    readonly host: string,
    readonly addresses: readonly string[],
  ) {
    super(
      `${host} resolves to ${addresses.join(', ')}: private, loopback or reserved addresses are refused ` +
        '(set ALLOW_INSECURE_WEBHOOK_URLS=true only in development)',
    );
    this.name = 'BlockedAddressError';
  }
}

/** The failure an HTTP status stands for, or null for 2xx. */
export function failureFromStatus(statusCode: number): DeliveryFailure | null {
  if (statusCode >= 200 && statusCode <= 299) return null;
  const answered = `receiver answered ${statusCode}${STATUS_CODES[statusCode] ? ` ${STATUS_CODES[statusCode]}` : ''}`;
  if (statusCode >= 300 && statusCode <= 399)
    return new DeliveryFailure(
      'redirect',
      `${answered}; redirects are not followed: update the webhook URL`,
      statusCode,
    );
  if (statusCode === 408) return new DeliveryFailure('http_408', `${answered}; will retry`, statusCode);
  if (statusCode === 429) return new DeliveryFailure('http_429', `${answered}; will retry`, statusCode);
  if (statusCode === 410)
    return new DeliveryFailure('gone', `${answered}; the webhook is disabled`, statusCode);
  if (statusCode >= 400 && statusCode <= 499)
    return new DeliveryFailure('http_4xx', `${answered}; 4xx answers are not retried`, statusCode);
  if (statusCode >= 500 && statusCode <= 599)
    return new DeliveryFailure('http_5xx', `${answered}; will retry`, statusCode);
  return new DeliveryFailure(
    'http_unexpected',
    `${answered}, not a valid final status; will retry`,
    statusCode,
  );
}

/** The failure after the total time limit cut the request. */
export function timeoutFailure(timeoutMs: number): DeliveryFailure {
  return new DeliveryFailure('timeout', `no complete answer within ${timeoutMs} ms`);
}

const TRANSPORT_CODES: Readonly<Record<string, FailureReason>> = {
  ERR_WEBHOOK_BLOCKED_ADDRESS: 'blocked_address',
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  ECONNABORTED: 'connection_reset',
  EPIPE: 'connection_reset',
  UND_ERR_SOCKET: 'connection_reset',
  ENOTFOUND: 'dns_failure',
  EAI_AGAIN: 'dns_failure',
  EAI_FAIL: 'dns_failure',
  EAI_NODATA: 'dns_failure',
  EAI_NONAME: 'dns_failure',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  EHOSTUNREACH: 'network_unreachable',
  ENETUNREACH: 'network_unreachable',
  EHOSTDOWN: 'network_unreachable',
  ENETDOWN: 'network_unreachable',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'protocol_error',
  UND_ERR_INFO: 'protocol_error',
  UND_ERR_INVALID_ARG: 'invalid_request',
  ERR_INVALID_URL: 'invalid_request',
  ERR_INVALID_CHAR: 'invalid_request',
  ERR_INVALID_HTTP_TOKEN: 'invalid_request',
};

const TRANSPORT_MESSAGES: Partial<Record<FailureReason, string>> = {
  connection_refused: 'connection refused',
  connection_reset: 'connection closed before a complete answer',
  dns_failure: 'host name did not resolve',
  network_unreachable: 'network or host unreachable',
  tls_failure: 'TLS handshake failed',
  protocol_error: 'malformed HTTP answer',
  timeout: 'timed out',
  invalid_request: 'request could not be built',
  network_error: 'network error',
};

/**
 * The failure a network error stands for, or null when `error` is not one (a programming error,
 * which the caller must let through rather than retry).
 */
export function failureFromError(error: unknown): DeliveryFailure | null {
  if (error instanceof DeliveryFailure) return error;
  const coded = findCoded(error);
  if (coded === undefined) return null;
  const { code, message: detail } = coded;
  const reason = reasonForCode(code);
  if (reason === null) return null;
  const message =
    reason === 'blocked_address' ? detail : `${TRANSPORT_MESSAGES[reason] ?? reason} (${code}: ${detail})`;
  return new DeliveryFailure(reason, message, undefined, { cause: error });
}

function reasonForCode(code: string): FailureReason | null {
  const known = TRANSPORT_CODES[code];
  if (known) return known;
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/.test(code))
    return 'tls_failure';
  if (code.startsWith('HPE_')) return 'protocol_error';
  // Any other errno or undici error is still the network's doing.
  if (/^E[A-Z]+$/.test(code) || code.startsWith('UND_ERR_')) return 'network_error';
  return null;
}

/** The error, or the first in its cause chain, that has a string `code` (undici sometimes wraps). */
function findCoded(error: unknown): { code: string; message: string } | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string') return { code, message: typeof message === 'string' ? message : code };
  }
  return undefined;
}
