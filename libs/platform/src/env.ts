// Reading configuration from the environment: each reader names the variable in its error, and
// `readConfig` gathers every problem so a bad boot reports them all at once.

import { LEVELS, type Level } from './logger';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** Collects problems while reading; `done()` throws one ConfigError naming all of them. */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: string, fallback?: string): string {
    const value = this.env[name];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    this.problems.push(`${name} is required`);
    return '';
  }

  int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  list(name: string, fallback: string[]): string[] {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (items.length === 0) this.problems.push(`${name} must be a comma-separated list, got "${raw}"`);
    return items;
  }

  /** LOG_LEVEL (or another variable) as one of the logger's levels. */
  level(name: string, fallback: Level): Level {
    const value = this.string(name, fallback);
    if ((LEVELS as readonly string[]).includes(value)) return value as Level;
    this.problems.push(`${name} must be debug, info, warn or error, got "${value}"`);
    return fallback;
  }

  /** Records a problem found by the caller's own cross-field checks. */
  problem(message: string): void {
    this.problems.push(message);
  }

  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
