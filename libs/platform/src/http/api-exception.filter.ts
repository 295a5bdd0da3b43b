// Renders every error an app answers in the one JSON shape (api-error.ts), registered globally in
// both apps (their http setup). Also sees body-parser errors and unknown routes, which Nest routes
// through global filters from its error-handling layer.
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { JsonLogger } from '../logger';
import { toErrorResponse, type ErrorContext } from './error-response';

export type ApiErrorOptions = Omit<ErrorContext, 'method' | 'path'>;

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly logger: JsonLogger,
    private readonly options: ApiErrorOptions,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const answer = toErrorResponse(exception, {
      ...this.options,
      method: request.method,
      path: request.path,
    });
    const fields = {
      method: request.method,
      path: request.path,
      status: answer.status,
      error: answer.body.error,
    };
    if (answer.unexpected) {
      this.logger.errorWith('request failed unexpectedly', { ...fields, stack: describe(exception) });
    } else if (answer.status >= 500) {
      this.logger.warnWith('request failed', { ...fields, message: answer.body.message });
    } else {
      this.logger.debug('request refused', { ...fields, message: answer.body.message });
    }
    if (response.headersSent) return;
    if (answer.retryAfterSeconds !== undefined)
      response.setHeader('Retry-After', String(answer.retryAfterSeconds));
    response.status(answer.status).json(answer.body);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
