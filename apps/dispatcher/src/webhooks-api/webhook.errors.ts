// The HTTP answer each webhook error gets. Every body has `error`
// (the status text) and `message` (what went wrong and what to do); validation adds `problems`.
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import type { FieldProblem } from '@vowchat/events';

import {
  ChangeNotPublishedError,
  WebhookLimitReachedError,
  WebhookNotFoundError,
} from '../webhooks/webhook.errors';

// The domain's errors, re-exported for the HTTP edges that throw or map them.
export { ChangeNotPublishedError, WebhookLimitReachedError, WebhookNotFoundError };

export function unprocessable(message: string, problems: FieldProblem[]): HttpException {
  return new HttpException(
    { statusCode: 422, error: 'Unprocessable Entity', message, problems },
    HttpStatus.UNPROCESSABLE_ENTITY,
  );
}

export function badRequest(message: string): HttpException {
  return new HttpException({ statusCode: 400, error: 'Bad Request', message }, HttpStatus.BAD_REQUEST);
}

/** Maps the service's errors to their HTTP answers; anything else goes on to Nest's handler. */
@Catch(WebhookNotFoundError, WebhookLimitReachedError, ChangeNotPublishedError)
export class WebhookErrorsFilter implements ExceptionFilter {
  catch(error: Error, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const [status, text, problems] =
      error instanceof WebhookNotFoundError
        ? [404, 'Not Found']
        : error instanceof WebhookLimitReachedError
          ? [422, 'Unprocessable Entity', [{ field: '(root)', message: error.message }]]
          : [503, 'Service Unavailable'];
    response
      .status(status)
      .json({ statusCode: status, error: text, message: error.message, ...(problems ? { problems } : {}) });
  }
}
