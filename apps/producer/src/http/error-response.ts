// Maps anything a request can throw to the API's error shape. Pure, so every mapping is tested
// without a server; the exception filter only renders the result.
import { HttpException } from '@nestjs/common';
import { isKafkaFailure, kafkaFailureResponse } from '../publishing/kafka-failure';
import { ApiError, errorResponse, type ErrorResponse } from './api-error';

export interface ErrorContext {
  method: string;
  path: string;
  maxBodyBytes: number;
}

/** The error answer for `exception`, and whether it is our fault (to be logged as an error). */
export function toErrorResponse(
  exception: unknown,
  context: ErrorContext,
): ErrorResponse & { unexpected: boolean } {
  if (exception instanceof ApiError) return { ...exception.response, unexpected: false };
  if (isKafkaFailure(exception)) return kafkaFailureResponse(exception);
  const bodyError = bodyParserError(exception);
  if (bodyError) return { ...bodyParserResponse(bodyError, context), unexpected: false };
  if (exception instanceof HttpException)
    return { ...httpExceptionResponse(exception, context), unexpected: false };
  return {
    ...errorResponse(500, 'internal_error', 'The producer failed unexpectedly; the error is in its log.'),
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
        `The request body is larger than the limit of ${context.maxBodyBytes} bytes; send fewer events per request.`,
      );
    case 'encoding.unsupported':
      return errorResponse(
        415,
        'unsupported_encoding',
        `${error.message}; send the body uncompressed, or gzip/deflate encoded.`,
      );
    case 'request.aborted':
      return errorResponse(400, 'request_aborted', 'The client aborted the request before its body arrived.');
    case 'body.unreadable':
      return errorResponse(
        400,
        'bad_request',
        `The request body could not be read (${error.message}); check that it is encoded as its Content-Encoding says.`,
      );
    default:
      return errorResponse(
        error.status >= 400 && error.status < 500 ? error.status : 400,
        'bad_request',
        error.message,
      );
  }
}

function httpExceptionResponse(exception: HttpException, context: ErrorContext): ErrorResponse {
  const status = exception.getStatus();
  switch (status) {
    case 401:
      return errorResponse(401, 'unauthorized', sentence(exception.message));
    case 404:
      return errorResponse(
        404,
        'not_found',
        `There is no route ${context.method} ${context.path}; events go to POST /api/v1/accounts/:account_id/events or .../events/batch.`,
      );
    case 413:
      return bodyParserResponse({ status, type: 'entity.too.large', message: exception.message }, context);
    default:
      return errorResponse(
        status,
        status < 500 ? 'bad_request' : 'internal_error',
        sentence(exception.message),
      );
  }
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
