// What can go wrong with a webhook change, and the HTTP answer each gets. Every body has `error`
// (the status text) and `message` (what went wrong and what to do); validation adds `problems`.
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import type { FieldProblem } from '@vowchat/events';

/** No webhook with that id in that account (another account's webhook is never visible). */
export class WebhookNotFoundError extends Error {
  constructor(readonly webhookId: string) {
    super(`webhook ${webhookId} not found in this account`);
    this.name = 'WebhookNotFoundError';
  }
}

export class WebhookLimitReachedError extends Error {
  constructor(readonly limit: number) {
    super(
      `this account already has ${limit} webhooks, the most it may have; delete one before adding another`,
    );
    this.name = 'WebhookLimitReachedError';
  }
}

/** The change is saved in Postgres but could not be published to the other instances. */
export class ChangeNotPublishedError extends Error {
  constructor(webhookId: string, topic: string, cause: unknown) {
    super(
      `webhook ${webhookId} was saved, but the change could not be published to Kafka topic ${topic} ` +
        `(${(cause as Error)?.message ?? String(cause)}); other dispatcher instances see it after their next ` +
        `restart or the next change to this webhook: retry the same change once Kafka is reachable`,
      { cause },
    );
    this.name = 'ChangeNotPublishedError';
  }
}

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
