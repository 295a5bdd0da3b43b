// The bodies of POST and PATCH/PUT .../webhooks as the OpenAPI document describes them. The checks
// and their messages are webhook-input.ts's (URL policy, duplicates, Unicode); Chatwoot's wrapped
// form {"webhook": {...}} is taken too.
import { EVENT_TYPES } from '@vowchat/events';
import { z } from 'zod';
import { MAX_NAME_LENGTH, RATE_LIMIT_BOUNDS } from './webhook-input';

const fields = {
  url: z.string().meta({ description: 'https:// URL of the endpoint (stored normalised)' }),
  subscriptions: z.array(z.enum(EVENT_TYPES)).min(1).meta({ description: 'Event names, each once' }),
  name: z.string().max(MAX_NAME_LENGTH).nullable().optional(),
  rate_limit_per_second: z
    .int()
    .min(RATE_LIMIT_BOUNDS.min)
    .max(RATE_LIMIT_BOUNDS.max)
    .nullable()
    .optional()
    .meta({ description: 'Most requests per second to the endpoint; null: the configured default' }),
};

const create = z.strictObject(fields);
const update = z.strictObject({ ...fields, enabled: z.boolean() }).partial();

export const createWebhookBodySchema = z.union([create, z.strictObject({ webhook: create })]);
export const updateWebhookBodySchema = z.union([update, z.strictObject({ webhook: update })]);
