// The environment's variables as zod schemas: each reads one variable's raw text (absent or empty
// means its default) into a typed value, and refuses a bad one with a message naming the variable.
// EnvReader (env.ts) parses every variable of an app's config through these, so the environment is
// described in the same schema library as every other input (docs/decisions/0018-schemas.md), and
// one boot reports every bad variable at once.
import { z } from 'zod';
import { LEVELS, type Level } from './logger';

/** A variable's raw text: absent and empty both mean "use the default". */
type Raw = string | undefined;

const isSet = (raw: Raw): raw is string => raw !== undefined && raw !== '';

/** Text; without a default the variable is required. */
export function envString(name: string, fallback?: string): z.ZodType<string, Raw> {
  return z.custom<Raw>().transform((raw, ctx) => {
    if (isSet(raw)) return raw;
    if (fallback !== undefined) return fallback;
    ctx.addIssue({ code: 'custom', message: `${name} is required` });
    return z.NEVER;
  });
}

/** A whole number within bounds. */
export function envInt(
  name: string,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): z.ZodType<number, Raw> {
  return z.custom<Raw>().transform((raw, ctx) => {
    if (!isSet(raw)) return fallback;
    const value = Number(raw);
    if (Number.isInteger(value) && value >= min && value <= max) return value;
    ctx.addIssue({
      code: 'custom',
      message: `${name} must be an integer from ${min} to ${max}, got "${raw}"`,
    });
    return z.NEVER;
  });
}

/** true/false, yes/no or 1/0, in any case. */
export function envBool(name: string, fallback: boolean): z.ZodType<boolean, Raw> {
  return z.custom<Raw>().transform((raw, ctx) => {
    if (!isSet(raw)) return fallback;
    const text = raw.toLowerCase();
    if (['1', 'true', 'yes'].includes(text)) return true;
    if (['0', 'false', 'no'].includes(text)) return false;
    ctx.addIssue({ code: 'custom', message: `${name} must be true or false, got "${raw}"` });
    return z.NEVER;
  });
}

/** A comma-separated list (items trimmed, empty items dropped). */
export function envList(name: string, fallback: string[]): z.ZodType<string[], Raw> {
  return z.custom<Raw>().transform((raw, ctx) => {
    if (!isSet(raw)) return fallback;
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (items.length > 0) return items;
    ctx.addIssue({ code: 'custom', message: `${name} must be a comma-separated list, got "${raw}"` });
    return z.NEVER;
  });
}

/** One of the logger's levels. */
export function envLevel(name: string, fallback: Level): z.ZodType<Level, Raw> {
  return z.custom<Raw>().transform((raw, ctx) => {
    const value = isSet(raw) ? raw : fallback;
    if ((LEVELS as readonly string[]).includes(value)) return value as Level;
    ctx.addIssue({ code: 'custom', message: `${name} must be debug, info, warn or error, got "${value}"` });
    return z.NEVER;
  });
}

/** A comma-separated list of whole numbers of at least `min` (e.g. a retry schedule in ms). */
export function envIntList(name: string, fallback: number[], { min = 0 } = {}): z.ZodType<number[], Raw> {
  return envList(name, fallback.map(String)).transform((items, ctx) => {
    const numbers = items.map(Number);
    if (numbers.every((n) => Number.isInteger(n) && n >= min)) return numbers;
    ctx.addIssue({
      code: 'custom',
      message: `${name} must be comma-separated integers of at least ${min}, got "${items.join(',')}"`,
    });
    return z.NEVER;
  });
}

/** A variable parsed by a function that reports its own problems (e.g. a key list). */
export function envParsed<T>(parse: (raw: Raw) => { value: T; problems: string[] }): z.ZodType<T, Raw> {
  return z.custom<Raw>().transform((raw, ctx) => {
    const { value, problems } = parse(raw);
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return problems.length === 0 ? value : z.NEVER;
  });
}
