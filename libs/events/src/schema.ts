// Every input is described once, as a zod schema, and its type inferred from it (docs/decisions/
// 0018-schemas.md). These helpers turn zod's issues into the problems our answers and reasons
// carry: each names the field (a dotted path) and says what is wrong in our own words.
import { z } from 'zod';

/** One thing wrong with an input. */
export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `account.id`, `events[1].id`; `(root)` for the input itself. */
  field: string;
  message: string;
}

/** A checked input: its value (typed by its schema), or every problem found. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** The placeholder a schema's message for unknown keys uses for each key (see `closedObject`). */
export const KEY_PLACEHOLDER = '{key}';

/**
 * A schema's error option: `text` for any problem, but `is required` when the field is missing.
 * Pass it to each check of a field (`z.int(says(m)).min(1, says(m))`) so every issue reads the same.
 */
export function says(text: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? 'is required' : text) };
}

/**
 * An object that refuses keys not in `shape`: each unknown key is its own problem, named by the key,
 * with `unknown` as its message (`{key}` in it stands for the key, quoted), reported before the
 * problems of known fields; `notObject` for an input
 * that is not an object at all.
 */
export function closedObject<Shape extends z.ZodRawShape>(
  shape: Shape,
  { unknown, notObject }: { unknown: string; notObject: string },
) {
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? unknown : notObject),
  });
}

/** Checks `input` against `schema`: the parsed value or every problem, each naming its field. */
export function checkWith<S extends z.ZodType>(schema: S, input: unknown): Checked<z.output<S>> {
  const result = schema.safeParse(input);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: problemsOf(result.error) };
}

/**
 * zod's issues as problems: one per field (the first; a value can fail several checks of one
 * field, e.g. an integer both too small and unsafe), and one per unknown key.
 */
export function problemsOf(error: z.ZodError): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const named = new Set<string>();
  const push = (problem: FieldProblem) => {
    if (named.has(problem.field)) return;
    named.add(problem.field);
    problems.push(problem);
  };
  // Unknown keys first: a field nobody expected often explains the problems with the others.
  const issues = [...error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        // A key is named even when it is empty or enormous.
        const shown = JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key);
        const name = key === '' || key.length > 64 ? shown : key;
        const message = issue.message.replaceAll(KEY_PLACEHOLDER, shown);
        push({ field: fieldPath([...issue.path, name]), message });
      }
    } else {
      push({ field: fieldPath(issue.path), message: issue.message });
    }
  }
  return problems;
}

/** `['events', 1, 'id']` as `events[1].id`; the empty path as `(root)`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text === '' ? '(root)' : text;
}

/** A value quoted for a message: short, and never JSON.stringify of a deeply nested value. */
export function shownValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
