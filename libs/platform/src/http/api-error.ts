// The one shape of every error both APIs answer: a stable machine code, one sentence a person can
// act on, and the fields at fault (always an array; empty when no field is to blame).
import type { FieldProblem } from '@vowchat/events';

export interface ErrorBody {
  error: string;
  message: string;
  problems: FieldProblem[];
}

/** An error answer: the status, the JSON body and, for transient failures, when to retry. */
export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  retryAfterSeconds?: number;
}

/** Thrown by handlers to answer with exactly this error; the exception filter renders it. */
export class ApiError extends Error {
  constructor(readonly response: ErrorResponse) {
    super(response.body.message);
    this.name = 'ApiError';
  }
}

/** Builds an ErrorResponse without the boilerplate. */
export function errorResponse(
  status: number,
  error: string,
  message: string,
  problems: FieldProblem[] = [],
): ErrorResponse {
  return { status, body: { error, message, problems } };
}

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_request',
  429: 'rate_limited',
  500: 'internal_error',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

/** The machine code of an error answered with `status` when nothing more precise is known. */
export function errorCodeOf(status: number): string {
  return CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
}

/** `message` as one sentence: ends with a full stop unless it already ends a sentence. */
export function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
