// Repeated warnings of one kind are counted, not printed one by one: a hostile stream once wrote
// 434,796 "record dead-lettered" lines (153 MB) in 7 minutes. The first line of a kind is written
// at once; the rest of its interval is counted and summed up in one line when the interval ends
// (`repeated`: how many were held back). Metrics keep the exact numbers.
import type { JsonLogger } from './logger';

interface Window {
  startedAt: number;
  held: number;
  timer: NodeJS.Timeout | null;
  lastFields: Record<string, unknown>;
}

export interface SampledLogOptions {
  /** One line per kind per interval, at most. */
  intervalMs?: number;
  /** Kinds tracked at once; past it the oldest windows are summed up and forgotten. */
  maxKinds?: number;
  now?: () => number;
}

export class SampledLog {
  private readonly windows = new Map<string, Window>();
  private readonly intervalMs: number;
  private readonly maxKinds: number;
  private readonly now: () => number;

  constructor(
    private readonly log: JsonLogger,
    options: SampledLogOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 10_000;
    this.maxKinds = options.maxKinds ?? 200;
    this.now = options.now ?? Date.now;
  }

  /** A warning of `kind` (a small, bounded set: not a free-text reason). */
  warn(kind: string, msg: string, fields: Record<string, unknown> = {}): void {
    this.write('warn', kind, msg, fields);
  }

  error(kind: string, msg: string, fields: Record<string, unknown> = {}): void {
    this.write('error', kind, msg, fields);
  }

  /** Writes what is held back now (at shutdown). */
  flush(): void {
    for (const kind of [...this.windows.keys()]) this.close(kind);
  }

  private write(level: 'warn' | 'error', kind: string, msg: string, fields: Record<string, unknown>): void {
    const key = `${level}\u0000${kind}\u0000${msg}`;
    const window = this.windows.get(key);
    if (window && this.now() - window.startedAt < this.intervalMs) {
      window.held++;
      window.lastFields = fields;
      window.timer ??= setTimeout(() => this.close(key), this.intervalMs - (this.now() - window.startedAt));
      window.timer.unref();
      return;
    }
    if (window) this.close(key);
    if (this.windows.size >= this.maxKinds) this.close(this.windows.keys().next().value as string);
    this.windows.set(key, { startedAt: this.now(), held: 0, timer: null, lastFields: fields });
    this.log.write(level, msg, { kind, ...fields });
  }

  private close(key: string): void {
    const window = this.windows.get(key);
    if (!window) return;
    this.windows.delete(key);
    if (window.timer) clearTimeout(window.timer);
    if (window.held === 0) return;
    const [level, kind, msg] = key.split('\u0000') as ['warn' | 'error', string, string];
    this.log.write(level, msg, {
      kind,
      ...window.lastFields,
      repeated: window.held,
      over_ms: this.now() - window.startedAt,
    });
  }
}
