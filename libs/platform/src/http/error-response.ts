// Maps anything a request can throw to the one error shape (api-error.ts). Pure, so every mapping
// is tested without a server; the exception filter only renders the result. Each app passes what
// only it knows: how to answer its own domain errors, and where its routes are.
import { HttpException } from '@nestjs/common';
import type { FieldProblem } from '@vowchat/events';
import { ApiError, errorCodeOf, errorResponse, sentence, type ErrorResponse } from './api-error';

export type ErrorAnswer = ErrorResponse & { unexpected: boolean };

export interface ErrorContext {
  method: string;
  path: string;
  /** The body parser's limit, named in a 413. */
  maxBodyBytes: number;
  /** What to do about a 413 ("send fewer events per request."). */
  tooLargeHint?: string;
  /** Said after "There is no route METHOD /path; " (where the routes are). */
  routesHint: string;
  /** What "fails unexpectedly" in a 500 ("The producer"). */
  appName: string;
  /** The app's own errors (domain errors, Kafka failures); undefined for anything else. */
  translate?: (exception: unknown) => ErrorAnswer | ErrorResponse | undefined;
}

/** The error answer for `exception`, and whether it is our fault (to be logged as an error). */
export function toErrorResponse(exception: unknown, context: ErrorContext): ErrorAnswer {
  if (exception instanceof ApiError) return { ...exception.response, unexpected: false };
  const translated = context.translate?.(exception);
  if (translated) return { unexpected: false, ...translated };
  const bodyError = bodyParserError(exception);
  if (bodyError) return { ...bodyParserResponse(bodyError, context), unexpected: false };
  if (exception instanceof HttpException)
    return { ...httpExceptionResponse(exception, context), unexpected: false };
  return {
    ...errorResponse(
      500,
      'internal_error',
      `${context.appName} failed unexpectedly; the error is in its log.`,
    ),
    unexpected: true,
  };
}

/**
 * Errors raised by body-parser follow the http-errors convention: a 4xx status and mostly a `type`.
 * A body that fails to decode as its Content-Encoding says comes without one.
 */
interface BodyParserError {
  status: number;
  type: string;
  message: string;
}

function bodyParserError(error: unknown): BodyParserError | undefined {
  if (!(error instanceof Error) || error instanceof HttpException) return undefined;
  const { status, type } = error as Error & { status?: unknown; type?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  return { status, type: typeof type === 'string' ? type : 'body.unreadable', message: error.message };
}

function bodyParserResponse(error: BodyParserError, context: ErrorContext): ErrorResponse {
  switch (error.type) {
    case 'entity.too.large':
      return errorResponse(
        413,
        'payload_too_large',
        `The request body is larger than the limit of ${context.maxBodyBytes} bytes; ${context.tooLargeHint ?? 'send a smaller one.'}`,
      );
    case 'encoding.unsupported':
      return errorResponse(
        415,
        'unsupported_encoding',
        `${error.message}; send the body uncompressed, or gzip/deflate encoded.`,
      );
    case 'request.aborted':
      return errorResponse(400, 'request_aborted', 'The client aborted the request before its body arrived.');
    case 'entity.parse.failed':
      return errorResponse(400, 'invalid_json', `The request body is not valid JSON (${error.message}).`);
    case 'body.unreadable':
      return errorResponse(
        400,
        'bad_request',
        `The request body could not be read (${error.message}); check that it is encoded as its Content-Encoding says.`,
      );
    default:
      return errorResponse(error.status, errorCodeOf(error.status), sentence(error.message));
  }
}

function httpExceptionResponse(exception: HttpException, context: ErrorContext): ErrorResponse {
  const status = exception.getStatus();
  const { message, problems } = detailsOf(exception);
  if (status === 404 && /^Cannot [A-Z]+ /.test(message))
    // Nest's answer to a route it does not have, and the token guard's to one a principal may not see.
    return errorResponse(
      404,
      'not_found',
      `There is no route ${context.method} ${context.path}; ${context.routesHint}`,
    );
  if (status === 413) return bodyParserResponse({ status, type: 'entity.too.large', message }, context);
  return errorResponse(status, errorCodeOf(status), status === 401 ? sentence(message) : message, problems);
}

/** The message (and any problems) an HttpException was made with, whatever its response's shape. */
function detailsOf(exception: HttpException): { message: string; problems: FieldProblem[] } {
  const response = exception.getResponse();
  if (typeof response === 'string') return { message: response, problems: [] };
  const { message, problems } = response as { message?: unknown; problems?: unknown };
  return {
    message: Array.isArray(message)
      ? message.join('; ')
      : typeof message === 'string'
        ? message
        : exception.message,
    problems: Array.isArray(problems) ? (problems as FieldProblem[]) : [],
  };
}
