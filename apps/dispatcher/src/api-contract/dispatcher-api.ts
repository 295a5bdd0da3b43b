// The dispatcher's HTTP contract: every route with the schemas of what it takes and answers, from
// which GET /openapi.json is generated and against which the API tests check every answer.
// Inputs are the schemas the controllers parse with; answers are described here, beside the table.
import { ATTEMPT_OUTCOMES, EVENT_TYPES } from '@vowchat/events';
import { apiDocsRoutes, openApiDocument, probeRoutes, type ApiRoute } from '@vowchat/platform';
import { z } from 'zod';
import { deliveryListQuerySchema, redeliverSinceSchema } from '../delivery-log/delivery-log-query';
import {
  accountHealthQuerySchema,
  endpointHealthQuerySchema,
  operatorHealthQuerySchema,
} from '../health/health-window';
import { rangeQuerySchema } from '../dashboard/dashboard-range';
import { createTokenSchema } from '../credentials/api-token';
import { operationsWebhookInputSchema } from '../operations/operations-webhook-input';
import { createWebhookBodySchema, updateWebhookBodySchema } from '../webhooks-api/webhook-body.schema';
import { accountIdParam, uuidParam } from '../webhooks-api/path-params';

const time = z.iso.datetime();
const timeOrNull = time.nullable();
const eventType = z.enum(EVENT_TYPES);
const outcome = z.enum(ATTEMPT_OUTCOMES);

const webhookView = z.strictObject({
  id: z.uuid(),
  account_id: z.int().min(1),
  name: z.string().nullable(),
  url: z.string(),
  subscriptions: z.array(eventType),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable(),
  rate_limit_per_second: z.int().min(1).nullable(),
  created_at: time,
  updated_at: time,
});
const webhookWithSecretView = webhookView.extend({
  secret: z.string().startsWith('whsec_'),
  previous_secret_expires_at: time.optional(),
});
const deliveryView = z.strictObject({
  delivery_id: z.uuid(),
  event_id: z.uuid(),
  event_type: eventType,
  outcome,
  attempts: z.int().min(1),
  last_status_code: z.int().nullable(),
  last_error: z.string().nullable(),
  next_attempt_at: timeOrNull,
  first_attempt_at: time,
  last_attempt_at: time,
});
const attemptView = z.strictObject({
  attempt_id: z.uuid(),
  attempt: z.int().min(1),
  outcome,
  status_code: z.int().nullable(),
  duration_ms: z.int().min(0),
  error: z.string().nullable(),
  response_body: z.string().nullable(),
  next_attempt_at: timeOrNull,
  started_at: time,
  finished_at: time,
});
const windowView = {
  window: z.enum(['5m', '1h', '24h', '7d']),
  from: time,
  to: time,
  resolution: z.enum(['1m', '1h']),
};
const lifecycleView = z.object({
  state: z.enum(['healthy', 'failing', 'disabling_soon', 'disabled']),
  consecutive_failures: z.int().min(0),
  failing_since: timeOrNull,
  disable_at: timeOrNull,
});
// The health views carry many figures (health.view.ts); their contract names the fields a client
// relies on, and lets the figures grow.
const endpointListItem = z.looseObject({
  webhook_id: z.uuid(),
  account_id: z.int().min(1),
  name: z.string().nullable(),
  url: z.string().nullable(),
  enabled: z.boolean(),
  health_score: z.number(),
  success_ratio: z.number().nullable(),
  lifecycle: lifecycleView,
  pending_retries: z.int().min(0),
});
const endpointHealthView = z.union([
  z.looseObject({
    ...windowView,
    webhook_id: z.uuid(),
    account_id: z.int().min(1),
    url: z.string(),
    enabled: z.boolean(),
    health_score: z.number(),
    breaker: z.object({ state: z.string(), since: timeOrNull }),
    lifecycle: lifecycleView,
  }),
  z.looseObject({
    ...windowView,
    webhook_id: z.uuid(),
    account_id: z.int().min(1),
    series: z.enum(['1m', '1h']),
    points: z.array(z.looseObject({ at: time })),
  }),
]);
const operationsWebhookView = z.strictObject({
  account_id: z.int().min(1),
  url: z.string(),
  created_at: time,
  updated_at: time,
  secret: z.string().optional(),
});
const tokenView = z.strictObject({
  id: z.uuid(),
  scope: z.enum(['account', 'service']),
  account_id: z.int().min(1).nullable(),
  name: z.string(),
  created_at: time,
  last_used_at: timeOrNull,
  revoked_at: timeOrNull,
  token: z.string().optional(),
});

const account = z.object({ account_id: accountIdParam });
const webhook = z.object({ account_id: accountIdParam, id: uuidParam('webhook') });
const delivery = webhook.extend({ delivery_id: uuidParam('delivery') });
const ok = (description: string, schema?: z.ZodType) => ({ description, schema });
const webhookAnswer = z.strictObject({ payload: z.strictObject({ webhook: webhookView }) });
const webhookWithSecretAnswer = z.strictObject({
  payload: z.strictObject({ webhook: webhookWithSecretView }),
});
const tokenAnswer = z.strictObject({ payload: z.strictObject({ token: tokenView }) });
const tokensAnswer = z.strictObject({ payload: z.strictObject({ tokens: z.array(tokenView) }) });
const opsAnswer = z.strictObject({ payload: z.strictObject({ operations_webhook: operationsWebhookView }) });

const W = '/api/v1/accounts/:account_id/webhooks';

/** Every route of the dispatcher (test/api-tokens.test.ts fails when one is missing here or there). */
export const DISPATCHER_ROUTES: readonly ApiRoute[] = [
  {
    method: 'get',
    path: W,
    operationId: 'listWebhooks',
    summary: "An account's webhooks",
    access: 'account',
    params: account,
    responses: {
      200: ok(
        'The webhooks (no secrets)',
        z.strictObject({ payload: z.strictObject({ webhooks: z.array(webhookView) }) }),
      ),
    },
  },
  {
    method: 'post',
    path: W,
    operationId: 'createWebhook',
    summary: 'Register a webhook (its secret shown once)',
    access: 'account',
    params: account,
    body: createWebhookBodySchema,
    responses: { 200: ok('The webhook, with its secret', webhookWithSecretAnswer) },
  },
  {
    method: 'get',
    path: `${W}/:id`,
    operationId: 'getWebhook',
    summary: 'One webhook',
    access: 'account',
    params: webhook,
    responses: { 200: ok('The webhook', webhookAnswer) },
  },
  {
    method: 'patch',
    path: `${W}/:id`,
    operationId: 'updateWebhook',
    summary: 'Change a webhook',
    access: 'account',
    params: webhook,
    body: updateWebhookBodySchema,
    responses: { 200: ok('The webhook as changed', webhookAnswer) },
  },
  {
    method: 'put',
    path: `${W}/:id`,
    operationId: 'replaceWebhook',
    summary: 'Change a webhook (as PATCH, as Chatwoot routes it)',
    access: 'account',
    params: webhook,
    body: updateWebhookBodySchema,
    responses: { 200: ok('The webhook as changed', webhookAnswer) },
  },
  {
    method: 'delete',
    path: `${W}/:id`,
    operationId: 'deleteWebhook',
    summary: 'Delete a webhook',
    access: 'account',
    params: webhook,
    responses: { 200: ok('Deleted') },
  },
  {
    method: 'post',
    path: `${W}/:id/rotate-secret`,
    operationId: 'rotateSecret',
    summary: 'Rotate the signing secret (the old one signs for a grace period)',
    access: 'account',
    params: webhook,
    responses: { 200: ok('The webhook with its new secret', webhookWithSecretAnswer) },
  },
  {
    method: 'get',
    path: `${W}/:id/deliveries`,
    operationId: 'listDeliveries',
    summary: "A webhook's deliveries, newest first, paged",
    access: 'account',
    params: webhook,
    query: deliveryListQuerySchema,
    responses: {
      200: ok(
        'A page of deliveries',
        z.strictObject({ deliveries: z.array(deliveryView), next_cursor: z.string().nullable() }),
      ),
    },
  },
  {
    method: 'get',
    path: `${W}/:id/deliveries/:delivery_id`,
    operationId: 'getDelivery',
    summary: 'One delivery with its attempts',
    access: 'account',
    params: delivery,
    responses: {
      200: ok(
        'The delivery',
        deliveryView.omit({ attempts: true }).extend({ attempts: z.array(attemptView) }),
      ),
    },
  },
  {
    method: 'post',
    path: `${W}/:id/deliveries/:delivery_id/redeliver`,
    operationId: 'redeliver',
    summary: 'Redeliver a failed or dead delivery',
    access: 'account',
    params: delivery,
    responses: {
      202: ok(
        'Queued as the next attempt',
        z.strictObject({ delivery_id: z.uuid(), attempt: z.int().min(1) }),
      ),
    },
  },
  {
    method: 'post',
    path: `${W}/:id/redeliver`,
    operationId: 'redeliverSince',
    summary: 'Redeliver every failed or dead delivery since a time',
    access: 'account',
    params: webhook,
    body: redeliverSinceSchema,
    responses: {
      202: ok(
        'Queued',
        z.strictObject({ redelivered: z.int().min(0), skipped_without_body: z.int().min(0) }),
      ),
    },
  },
  {
    method: 'get',
    path: `${W}/:id/health`,
    operationId: 'webhookHealth',
    summary: "One webhook's health (or its series)",
    access: 'account',
    params: webhook,
    query: endpointHealthQuerySchema,
    responses: { 200: ok('The health', endpointHealthView) },
  },
  {
    method: 'get',
    path: '/api/v1/accounts/:account_id/health',
    operationId: 'accountHealth',
    summary: "An account's endpoints, least healthy first",
    access: 'account',
    params: account,
    query: accountHealthQuerySchema,
    responses: {
      200: ok(
        'The endpoints',
        z.looseObject({ ...windowView, account_id: z.int().min(1), webhooks: z.array(endpointListItem) }),
      ),
    },
  },
  {
    method: 'get',
    path: '/api/v1/accounts/:account_id/operations-webhook',
    operationId: 'getOperationsWebhook',
    summary: "The account's operations endpoint (operational webhooks)",
    access: 'account',
    params: account,
    responses: { 200: ok('The endpoint', opsAnswer) },
  },
  {
    method: 'put',
    path: '/api/v1/accounts/:account_id/operations-webhook',
    operationId: 'putOperationsWebhook',
    summary: 'Register the operations endpoint (its secret shown once) or change its URL',
    access: 'account',
    params: account,
    body: operationsWebhookInputSchema,
    responses: { 200: ok('The endpoint', opsAnswer) },
  },
  {
    method: 'delete',
    path: '/api/v1/accounts/:account_id/operations-webhook',
    operationId: 'deleteOperationsWebhook',
    summary: 'Remove the operations endpoint',
    access: 'account',
    params: account,
    responses: { 200: ok('Removed') },
  },
  {
    method: 'get',
    path: '/api/v1/operator/health',
    operationId: 'operatorHealth',
    summary: 'The least healthy endpoints and the platform',
    access: 'operator',
    query: operatorHealthQuerySchema,
    responses: {
      200: ok(
        'The view',
        z.looseObject({
          ...windowView,
          least_healthy: z.array(endpointListItem),
          platform: z.looseObject({}),
        }),
      ),
    },
  },
  {
    method: 'get',
    path: '/api/v1/operator/dashboard',
    operationId: 'operatorDashboard',
    summary: "The dashboard's series and gauges",
    access: 'operator',
    query: rangeQuerySchema,
    responses: {
      200: ok(
        'The view',
        z.looseObject({
          ...windowView,
          range: z.enum(['15m', '1h', '24h', '7d']),
          points: z.array(z.looseObject({})),
          gauges: z.looseObject({}),
        }),
      ),
    },
  },
  {
    method: 'post',
    path: '/api/v1/operator/accounts/:account_id/tokens',
    operationId: 'createAccountToken',
    summary: 'Issue a token for an account (shown once)',
    access: 'operator',
    params: account,
    body: createTokenSchema,
    responses: { 201: ok('The token', tokenAnswer) },
  },
  {
    method: 'get',
    path: '/api/v1/operator/accounts/:account_id/tokens',
    operationId: 'listAccountTokens',
    summary: "An account's tokens (metadata only)",
    access: 'operator',
    params: account,
    responses: { 200: ok('The tokens', tokensAnswer) },
  },
  {
    method: 'post',
    path: '/api/v1/operator/service-tokens',
    operationId: 'createServiceToken',
    summary: 'Issue a service token (publishes for any account; shown once)',
    access: 'operator',
    body: createTokenSchema,
    responses: { 201: ok('The token', tokenAnswer) },
  },
  {
    method: 'get',
    path: '/api/v1/operator/service-tokens',
    operationId: 'listServiceTokens',
    summary: 'The service tokens (metadata only)',
    access: 'operator',
    responses: { 200: ok('The tokens', tokensAnswer) },
  },
  {
    method: 'delete',
    path: '/api/v1/operator/tokens/:id',
    operationId: 'revokeToken',
    summary: 'Revoke a token, on every instance within seconds',
    access: 'operator',
    params: z.object({ id: uuidParam('token') }),
    responses: { 200: ok('The revoked token', tokenAnswer) },
  },
  {
    method: 'get',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness with a few live figures',
    access: 'public',
    responses: { 200: ok('Serving', z.looseObject({ status: z.literal('ok'), webhooks: z.int().min(0) })) },
  },
  {
    method: 'get',
    path: '/dashboard',
    operationId: 'dashboard',
    summary: "The operator's live page (its data needs the operator token)",
    access: 'public',
    responses: {
      200: { description: 'The page', schema: z.string(), contentType: 'text/html' },
      304: ok('Unchanged'),
    },
  },
  {
    method: 'get',
    path: '/dashboard/assets/:name',
    operationId: 'dashboardAsset',
    summary: "The dashboard's scripts and styles",
    access: 'public',
    params: z.object({ name: z.string() }),
    responses: {
      200: { description: 'The asset', schema: z.unknown(), contentType: '' },
      304: ok('Unchanged'),
    },
  },
  ...probeRoutes('It can do its work'),
  ...apiDocsRoutes(),
];

/** The dispatcher's OpenAPI document. */
export function dispatcherOpenApi(): Record<string, unknown> {
  return openApiDocument(
    {
      title: 'VowChat Webhooks: dispatcher',
      version: '1',
      description:
        'Webhook management, delivery log, health and operator APIs. Errors: {error, message, problems}.',
    },
    DISPATCHER_ROUTES,
  );
}
