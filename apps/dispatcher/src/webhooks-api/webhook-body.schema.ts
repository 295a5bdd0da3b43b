// The bodies of POST and PATCH/PUT .../webhooks: one schema per body, which both parses the request
// (webhook-input.ts) and describes it in the OpenAPI document, so the two cannot drift. The URL goes
// through the SSRF policy (security/url-policy.ts) and comes out normalised; every message is ours.
import { closedObject, EVENT_TYPES, isEventType, type EventType } from '@vowchat/events';
import { z } from 'zod';
import { parseWebhookUrl, type UrlPolicy } from '../security/url-policy';
import type { CreateWebhookInput, UpdateWebhookInput } from '../webhooks/webhook-edits';

export const MAX_NAME_LENGTH = 255;
/** Bounds of a webhook's `rate_limit_per_second` (requests per second, all instances together). */
export const RATE_LIMIT_BOUNDS = { min: 1, max: 10_000 } as const;

const CREATE_FIELDS = ['url', 'subscriptions', 'name', 'rate_limit_per_second'] as const;
const UPDATE_FIELDS = ['url', 'subscriptions', 'name', 'enabled', 'rate_limit_per_second'] as const;
const VALID_NAMES = `the event names are ${EVENT_TYPES.join(', ')}`;

/**
 * Text Postgres cannot store (NUL) or that is not Unicode (a lone surrogate, which would be stored
 * as U+FFFD): refused rather than failing the write or storing something else.
 */
function textProblem(field: string, raw: string): string | null {
  if (raw.includes('\u0000')) return `${field} must not contain NUL characters`;
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(raw))
    return `${field} must be valid Unicode text (it holds a lone surrogate)`;
  return null;
}

/** The URL as stored (normalised by the policy), or the policy's reason. */
const urlField = (policy: UrlPolicy) =>
  z
    .string({ error: 'url is required' })
    .transform((raw, ctx) => {
      const invalid = textProblem('url', raw);
      const parsed =
        invalid === null ? parseWebhookUrl(raw, policy) : { ok: false as const, problem: invalid };
      if (parsed.ok) return parsed.url;
      ctx.addIssue({ code: 'custom', message: parsed.problem, input: raw });
      return z.NEVER;
    })
    .meta({ description: 'https:// URL of the endpoint (stored normalised)' });

const notEventList = `subscriptions must be a non-empty array of event names; ${VALID_NAMES}`;

/** Event names, each once; the first item that is not a string is named by its position. */
const subscriptionsField = z
  .array(z.unknown(), { error: notEventList })
  .min(1, { error: notEventList })
  .superRefine((items, ctx) => {
    const notText = items.findIndex((item) => typeof item !== 'string');
    if (notText >= 0) {
      ctx.addIssue({
        code: 'custom',
        path: [notText],
        message: `subscriptions must hold event names (strings); ${VALID_NAMES}`,
      });
      return;
    }
    const names = items as string[];
    const unknown = [...new Set(names.filter((n) => !isEventType(n)))];
    if (unknown.length > 0) {
      const list = unknown.map((n) => JSON.stringify(n)).join(', ');
      ctx.addIssue({
        code: 'custom',
        message: `unknown event name${unknown.length > 1 ? 's' : ''} ${list}; ${VALID_NAMES}`,
      });
      return;
    }
    const duplicates = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
    if (duplicates.length > 0)
      ctx.addIssue({
        code: 'custom',
        message: `subscriptions lists ${duplicates.join(', ')} more than once; list each event once`,
      });
  })
  .transform((items) => items as EventType[])
  // What JSON Schema can say of the checks above (the schema stays the truth).
  .meta({
    description: 'Event names, each once',
    items: { type: 'string', enum: [...EVENT_TYPES] },
    uniqueItems: true,
  });

const nameField = z
  .string({ error: 'name must be a string (or null for none)' })
  .superRefine((raw, ctx) => {
    const invalid = textProblem('name', raw);
    if (invalid !== null) ctx.addIssue({ code: 'custom', message: invalid, input: raw });
  })
  .max(MAX_NAME_LENGTH, {
    error: (issue) =>
      `name must be at most ${MAX_NAME_LENGTH} characters, got ${(issue.input as string).length}`,
  })
  .nullable()
  .optional();

const { min, max } = RATE_LIMIT_BOUNDS;
const rateLimitMessage = `rate_limit_per_second must be a whole number of requests per second from ${min} to ${max}, or null for the default`;
/** A webhook's own request rate; null (absent too) for the configured default. */
const rateLimitField = z
  .int({ error: rateLimitMessage })
  .min(min, { error: rateLimitMessage })
  .max(max, { error: rateLimitMessage })
  .nullable()
  .optional()
  .meta({ description: 'Most requests per second to the endpoint; null: the configured default' });

const enabledField = z.boolean({ error: 'enabled must be true or false' }).optional();

const unknownField = (allowed: readonly string[]) => ({
  unknown: `unknown field {key}; the fields are ${allowed.join(', ')}`,
  notObject: 'the request body must be a JSON object',
});

/** The body of POST .../webhooks under `policy`, parsed into what the domain takes. */
export function createWebhookBody(policy: UrlPolicy) {
  return closedObject(
    {
      url: urlField(policy),
      subscriptions: subscriptionsField,
      name: nameField,
      rate_limit_per_second: rateLimitField,
    },
    unknownField(CREATE_FIELDS),
  ).transform((body): CreateWebhookInput => ({
    url: body.url,
    subscriptions: body.subscriptions,
    name: body.name ?? null,
    rateLimitPerSecond: body.rate_limit_per_second ?? null,
  }));
}

/** The body of PATCH/PUT .../webhooks/:id under `policy`: only what was sent, at least one field. */
export function updateWebhookBody(policy: UrlPolicy) {
  return closedObject(
    {
      url: urlField(policy).optional(),
      subscriptions: subscriptionsField.optional(),
      name: nameField,
      rate_limit_per_second: rateLimitField,
      enabled: enabledField,
    },
    unknownField(UPDATE_FIELDS),
  )
    .refine((body) => Object.keys(body).length > 0, {
      // Only a body with nothing wrong in it can be empty (unknown keys are not kept).
      when: (payload) => payload.issues.length === 0,
      error: `nothing to change: send at least one of ${UPDATE_FIELDS.join(', ')}`,
    })
    .transform((body): UpdateWebhookInput => {
      const change: UpdateWebhookInput = {};
      if (body.url !== undefined) change.url = body.url;
      if (body.subscriptions !== undefined) change.subscriptions = body.subscriptions;
      if (body.name !== undefined) change.name = body.name;
      if (body.rate_limit_per_second !== undefined) change.rateLimitPerSecond = body.rate_limit_per_second;
      if (body.enabled !== undefined) change.enabled = body.enabled;
      return change;
    });
}

// The bodies as the OpenAPI document describes them (the policy only changes which URLs pass):
// the fields, or Chatwoot's wrapped form {"webhook": {...}}, parsed to the same value.
const createBody = createWebhookBody({ allowInsecure: false });
const updateBody = updateWebhookBody({ allowInsecure: false });
export const createWebhookBodySchema = z.union([
  createBody,
  z.strictObject({ webhook: createBody }).transform((sent) => sent.webhook),
]);
export const updateWebhookBodySchema = z.union([
  updateBody,
  z.strictObject({ webhook: updateBody }).transform((sent) => sent.webhook),
]);

export type CreateWebhookBody = z.input<ReturnType<typeof createWebhookBody>>;
export type UpdateWebhookBody = z.input<ReturnType<typeof updateWebhookBody>>;
