// The path parameters every account route takes, as schemas (the OpenAPI document's parameters and
// the controllers' checks): an account id is a positive integer without leading zeros; an id that
// is not a UUID names nothing (the routes answer it as an unknown webhook, delivery or token).
import { z } from 'zod';

export const ACCOUNT_ID_PATTERN = /^[1-9][0-9]{0,15}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const accountIdParam = z
  .string()
  .regex(ACCOUNT_ID_PATTERN)
  .transform(Number)
  .refine(Number.isSafeInteger)
  .meta({ description: 'The account id: a positive integer' });

/** A UUID path parameter naming a `what` (webhook, delivery, token). */
export const uuidParam = (what: string) =>
  z
    .string()
    .regex(UUID_PATTERN)
    .meta({ description: `The ${what} id (a UUID)` });

/** The account id of a path, or null when it is not a positive integer. */
export function parseAccountId(raw: string): number | null {
  const parsed = accountIdParam.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** True when `raw` can be an id (a UUID); anything else cannot name a webhook, delivery or token. */
export function isUuid(raw: string): boolean {
  return UUID_PATTERN.test(raw);
}
