import { randomBytes } from 'node:crypto';

/** A unique, readable name for a test's topics, group or schema, so tests never bleed into each other. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}
