// The producer's HTTP edge as app.ts and the tests build it: the one error filter (with what only
// the producer knows: Kafka failures and where its routes are) and the OpenAPI document's routes.
import type { INestApplication } from '@nestjs/common';
import { ApiExceptionFilter, type JsonLogger } from '@vowchat/platform';
import type { ProducerConfig } from '../config';
import { isKafkaFailure, kafkaFailureResponse } from '../publishing/kafka-failure';

/** Registers the error filter every route of the producer answers through. */
export function useProducerErrors(
  app: INestApplication,
  config: Pick<ProducerConfig, 'maxBodyBytes'>,
  logger: JsonLogger,
): void {
  app.useGlobalFilters(
    new ApiExceptionFilter(logger, {
      appName: 'The producer',
      maxBodyBytes: config.maxBodyBytes,
      tooLargeHint: 'send fewer events per request.',
      routesHint:
        'events go to POST /api/v1/accounts/:account_id/events or .../events/batch (the routes: GET /openapi.json, /docs).',
      translate: (exception) => (isKafkaFailure(exception) ? kafkaFailureResponse(exception) : undefined),
    }),
  );
}
