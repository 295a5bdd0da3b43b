// The dispatcher's HTTP edge as app.ts and the tests build it: the one error filter every route
// answers through (libs/platform/src/http), told how to answer the dispatcher's own domain errors.
import type { INestApplication } from '@nestjs/common';
import { ApiExceptionFilter, errorResponse, type ErrorResponse, type JsonLogger } from '@vowchat/platform';
import { EntityMetadataNotFoundError } from 'typeorm';
import { CredentialChangeNotPublishedError, TokenNotFoundError } from './credentials/credentials.service';
import { DatabaseConnection } from './database/database-connection';
import { isDatabaseUnreachable } from './database/database-errors';
import { WebhookLimitReachedError, WebhookNotFoundError } from './webhooks/webhook.errors';

/** Express's JSON body parser's default limit (Nest's default parser). */
const JSON_BODY_LIMIT_BYTES = 100 * 1024;

/**
 * The answer to each domain error of the dispatcher, and to Postgres being unreachable; undefined
 * for anything else. Before its first connection the DataSource has no entity metadata either, so
 * that error means the same then (and only then).
 */
export function dispatcherErrorResponse(exception: unknown, databaseReady = true): ErrorResponse | undefined {
  if (
    isDatabaseUnreachable(exception) ||
    (!databaseReady && exception instanceof EntityMetadataNotFoundError)
  )
    return {
      ...errorResponse(
        503,
        'database_unavailable',
        'Postgres is unavailable, and this request needs it; retry once it is back (events are still delivered meanwhile).',
      ),
      retryAfterSeconds: 5,
    };
  if (exception instanceof WebhookNotFoundError || exception instanceof TokenNotFoundError)
    return errorResponse(404, 'not_found', exception.message);
  if (exception instanceof WebhookLimitReachedError)
    return errorResponse(422, 'webhook_limit_reached', exception.message, [
      { field: '(root)', message: exception.message },
    ]);
  if (exception instanceof CredentialChangeNotPublishedError)
    return { ...errorResponse(503, 'change_not_published', exception.message), retryAfterSeconds: 1 };
  return undefined;
}

/** Registers the error filter; call before `init()`. */
export function useDispatcherErrors(app: INestApplication, logger: JsonLogger): void {
  const database = app.get(DatabaseConnection);
  app.useGlobalFilters(
    new ApiExceptionFilter(logger, {
      appName: 'The dispatcher',
      maxBodyBytes: JSON_BODY_LIMIT_BYTES,
      routesHint: 'the routes are described at GET /openapi.json (and /docs).',
      translate: (exception) => dispatcherErrorResponse(exception, database.ready),
    }),
  );
}
