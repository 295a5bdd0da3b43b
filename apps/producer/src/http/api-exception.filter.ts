// Renders every error the producer answers in the one JSON shape (http/api-error.ts). Also sees
// body-parser errors, which Nest routes through global filters from its error-handling layer.
import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { JsonLogger } from '@vowchat/platform';
import { toErrorResponse } from './error-response';

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(
    private readonly logger: JsonLogger,
    private readonly maxBodyBytes: number,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const answer = toErrorResponse(exception, {
      method: request.method,
      path: request.path,
      maxBodyBytes: this.maxBodyBytes,
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
