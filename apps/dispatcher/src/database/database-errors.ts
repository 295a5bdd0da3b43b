// Which errors mean "Postgres cannot be reached now" (wait and try again, answer 503) rather than a
// fault of the query or of the configuration. Pure, so the table is tested without a database.

/** Socket-level failures on the way to Postgres. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * SQLSTATEs of a server that is going away or not yet there: class 08 (connection exception),
 * 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up).
 */
function unreachableSqlState(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}

/** Messages of node-postgres and TypeORM that carry no code. */
const UNREACHABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Driver not Connected',
  'Client has encountered a connection error',
];

export function isDatabaseUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && (UNREACHABLE_CODES.has(code) || unreachableSqlState(code))) return true;
  if (UNREACHABLE_MESSAGES.some((m) => error.message.includes(m))) return true;
  // Node's happy-eyeballs connect rejects with an AggregateError of one failure per address.
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnreachable);
  return false;
}
