// The body of PUT .../operations-webhook: `{"url": "https://..."}`, checked by the same URL policy
// as a webhook's (security/url-policy.ts) once the schema has taken it.
import { checkWith, closedObject, type Checked, type FieldProblem } from '@vowchat/events';
import { z } from 'zod';
import { webhookUrlProblem, type UrlPolicy } from '../security/url-policy';

export const operationsWebhookInputSchema = closedObject(
  {
    url: z
      .string({ error: 'url is required' })
      .meta({ description: 'Where operational webhooks go (https://)' }),
  },
  {
    unknown: 'unknown field {key}: only url may be set',
    notObject: 'send {"url": "https://..."} as JSON with Content-Type: application/json',
  },
);

/** The endpoint's URL, or every problem with the body. */
export function parseOperationsWebhookInput(body: unknown, policy: UrlPolicy): Checked<{ url: string }> {
  const parsed = checkWith(operationsWebhookInputSchema, body);
  const problems: FieldProblem[] = parsed.ok ? [] : parsed.problems.filter((p) => p.field !== 'url');
  // The policy's message for the URL, whatever the schema said of it (it names a missing one too).
  const urlProblem = webhookUrlProblem((body as { url?: unknown } | null)?.url, policy);
  if (urlProblem) problems.push({ field: 'url', message: urlProblem });
  return problems.length > 0 || !parsed.ok ? { ok: false, problems } : { ok: true, value: parsed.value };
}
