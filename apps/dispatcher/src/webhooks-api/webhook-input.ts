// What the management API accepts, parsed by the body schemas (webhook-body.schema.ts, which the
// OpenAPI document describes too). Pure: each problem names the field and says what to send instead.
import { checkWith, type Checked } from '@vowchat/events';
import type { UrlPolicy } from '../security/url-policy';
import type { CreateWebhookInput, UpdateWebhookInput } from '../webhooks/webhook-edits';
import { createWebhookBody, updateWebhookBody } from './webhook-body.schema';
import { isUuid, parseAccountId } from './path-params';

export type { CreateWebhookInput, UpdateWebhookInput } from '../webhooks/webhook-edits';
export { MAX_NAME_LENGTH, RATE_LIMIT_BOUNDS } from './webhook-body.schema';
export { parseAccountId };

export type Parsed<T> = Checked<T>;

/** True when `raw` can be a webhook id (a UUID); anything else cannot name a webhook. */
export const isWebhookId = isUuid;

/** True when the body is a JSON object (what every write expects). */
export function isJsonObject(body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}

// The schemas under each policy, built once (a policy is one flag).
const createSchemas = new Map<boolean, ReturnType<typeof createWebhookBody>>();
const updateSchemas = new Map<boolean, ReturnType<typeof updateWebhookBody>>();

export function parseCreateWebhook(
  body: Record<string, unknown>,
  policy: UrlPolicy,
): Parsed<CreateWebhookInput> {
  let schema = createSchemas.get(policy.allowInsecure);
  if (!schema) createSchemas.set(policy.allowInsecure, (schema = createWebhookBody(policy)));
  return checkWith(schema, unwrap(body));
}

export function parseUpdateWebhook(
  body: Record<string, unknown>,
  policy: UrlPolicy,
): Parsed<UpdateWebhookInput> {
  let schema = updateSchemas.get(policy.allowInsecure);
  if (!schema) updateSchemas.set(policy.allowInsecure, (schema = updateWebhookBody(policy)));
  return checkWith(schema, unwrap(body));
}

// Chatwoot's API also takes its fields wrapped as {"webhook": {...}}; scripts written for it may send that.
function unwrap(body: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(body);
  return keys.length === 1 && keys[0] === 'webhook' && isJsonObject(body.webhook) ? body.webhook : body;
}
