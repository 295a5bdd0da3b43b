// Reading configuration from the environment: every variable through a zod schema that names it in
// its error (env-schema.ts), and every problem gathered so a bad boot reports them all at once.

import type { z } from 'zod';
import { envBool, envInt, envLevel, envList, envString } from './env-schema';
import type { Level } from './logger';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/**
 * Reads an app's variables, each through its zod schema (env-schema.ts), and collects the
 * problems; `done()` throws one ConfigError naming all of them. A variable that fails reads as its
 * default meanwhile, so the caller's cross-field checks still run on typed values.
 */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** One variable through its schema. */
  read<T>(name: string, schema: z.ZodType<T, string | undefined>, fallback: T): T {
    const parsed = schema.safeParse(this.env[name]);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) this.problems.push(issue.message);
    return fallback;
  }

  string(name: string, fallback?: string): string {
    return this.read(name, envString(name, fallback), fallback ?? '');
  }

  int(name: string, fallback: number, bounds: { min?: number; max?: number } = {}): number {
    return this.read(name, envInt(name, fallback, bounds), fallback);
  }

  bool(name: string, fallback: boolean): boolean {
    return this.read(name, envBool(name, fallback), fallback);
  }

  list(name: string, fallback: string[]): string[] {
    // A list that is given but holds nothing reads as empty, as before (the caller decides).
    return this.read(name, envList(name, fallback), []);
  }

  /** LOG_LEVEL (or another variable) as one of the logger's levels. */
  level(name: string, fallback: Level): Level {
    return this.read(name, envLevel(name, fallback), fallback);
  }

  /** Records a problem found by the caller's own cross-field checks. */
  problem(message: string): void {
    this.problems.push(message);
  }

  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
