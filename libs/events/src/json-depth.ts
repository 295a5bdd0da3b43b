// How deep a parsed JSON value nests. JSON.parse is iterative and takes any depth, but
// JSON.stringify recurses: an event a few thousand levels deep parses, validates and then overflows
// the stack when it is serialised for Kafka. Producers refuse such events up front with this check.
import type { FieldProblem } from './schema';

/**
 * The deepest an event may nest (the event object is level 1). The spec's payloads nest about 6
 * levels; 64 leaves room for any real `content_attributes` and stays far below the few thousand
 * levels at which JSON.stringify overflows the stack.
 */
export const MAX_EVENT_DEPTH = 64;

/** The first container that nests deeper than `maxDepth` levels, named by its path; null when none does. */
export function jsonDepthProblem(value: unknown, maxDepth: number = MAX_EVENT_DEPTH): FieldProblem | null {
  // Iterative (an explicit stack): the walk itself must not overflow on the input it guards against.
  const stack: { value: object; depth: number; path: string }[] = [];
  if (isContainer(value)) stack.push({ value, depth: 1, path: '' });
  while (stack.length > 0) {
    const { value: node, depth, path } = stack.pop()!;
    if (depth > maxDepth) {
      return {
        field: path === '' ? '(root)' : path,
        message: `nests deeper than ${maxDepth} levels; flatten it`,
      };
    }
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        const child: unknown = node[i];
        if (isContainer(child)) stack.push({ value: child, depth: depth + 1, path: `${path}[${i}]` });
      }
    } else {
      const keys = Object.keys(node);
      for (let i = keys.length - 1; i >= 0; i--) {
        const child = (node as Record<string, unknown>)[keys[i]];
        if (isContainer(child))
          stack.push({ value: child, depth: depth + 1, path: path === '' ? keys[i] : `${path}.${keys[i]}` });
      }
    }
  }
  return null;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
