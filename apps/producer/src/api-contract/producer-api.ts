// The producer's HTTP contract: its routes with the schemas of what they take and answer, from which
// GET /openapi.json is generated and against which the API tests check every answer. The envelope
// (path, batch body, Idempotency-Key) is the parser's own schemas (events-api/ingest-request.ts,
// event-identity.ts); the events are the contract's (libs/events/src/event-schema.ts).
import { vowChatEventSchema } from '@vowchat/events';
import { apiDocsRoutes, openApiDocument, probeRoutes, type ApiRoute } from '@vowchat/platform';
import { z } from 'zod';
import { IDEMPOTENCY_KEY_HEADER, idempotencyKeySchema } from '../events-api/event-identity';
import { accountIdParamSchema, batchBodySchema } from '../events-api/ingest-request';

const account = z.object({ account_id: accountIdParamSchema });
const idempotency = z.object({ [IDEMPOTENCY_KEY_HEADER]: idempotencyKeySchema.optional() });
const published = z.strictObject({
  event_id: z.uuid(),
  topic: z.string(),
  partition: z.int().min(0),
  offset: z.string().regex(/^\d+$/),
});

export const PRODUCER_ROUTES: readonly ApiRoute[] = [
  {
    method: 'post',
    path: '/api/v1/accounts/:account_id/events',
    operationId: 'publishEvent',
    summary: 'Publish one event (202 once Kafka holds it; an Idempotency-Key header keeps its id on a retry)',
    access: 'publish',
    params: account,
    headers: idempotency,
    body: vowChatEventSchema,
    responses: { 202: { description: 'Where the event landed', schema: published } },
  },
  {
    method: 'post',
    path: '/api/v1/accounts/:account_id/events/batch',
    operationId: 'publishEvents',
    summary: 'Publish many events of one account, all or nothing',
    access: 'publish',
    params: account,
    headers: idempotency,
    body: batchBodySchema(vowChatEventSchema),
    responses: {
      202: {
        description: 'Where each event landed, in order',
        schema: z.strictObject({ events: z.array(published) }),
      },
    },
  },
  {
    method: 'get',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness',
    access: 'public',
    responses: { 200: { description: 'Serving', schema: z.strictObject({ status: z.literal('ok') }) } },
  },
  ...probeRoutes('Kafka answers, so events can be accepted'),
  ...apiDocsRoutes(),
];

/** The producer's OpenAPI document. */
export function producerOpenApi(): Record<string, unknown> {
  return openApiDocument(
    {
      title: 'VowChat Webhooks: producer',
      version: '1',
      description: 'Publishing events over HTTP. Errors: {error, message, problems}.',
    },
    PRODUCER_ROUTES,
  );
}
