// Refusals of the dispatcher's HTTP edges, as HttpExceptions the one error filter renders
// ({error, message, problems}: libs/platform/src/http). Domain errors are mapped in http-setup.ts.
import { HttpException, HttpStatus } from '@nestjs/common';
import type { FieldProblem } from '@vowchat/events';

import { WebhookLimitReachedError, WebhookNotFoundError } from '../webhooks/webhook.errors';

// The domain's errors, re-exported for the HTTP edges that throw them.
export { WebhookLimitReachedError, WebhookNotFoundError };

export function unprocessable(message: string, problems: FieldProblem[]): HttpException {
  return new HttpException({ message, problems }, HttpStatus.UNPROCESSABLE_ENTITY);
}

export function badRequest(message: string, problems: FieldProblem[] = []): HttpException {
  return new HttpException({ message, problems }, HttpStatus.BAD_REQUEST);
}
