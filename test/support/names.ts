import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';

/** A unique, readable name for a test's topics, group or schema, so tests never bleed into each other. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** A TCP port free on 127.0.0.1 right now (for processes that must be told their port up front). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
