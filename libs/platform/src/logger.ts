// Structured logs: one JSON object per line on stdout. Secrets are never passed to the logger;
// `redactUrl` strips credentials and query strings from URLs that go into log fields.
import type { LoggerService } from '@nestjs/common';
import { logLevel, type LogEntry } from 'kafkajs';
import { SampledLog } from './sampled-log';

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where log lines go: stdout, unless redirected (the test suite sends each test file's to a file). */
let sink: { write(line: string): unknown } = process.stdout;

/** Sends every JsonLogger's lines to `out` from now on. */
export function setLogSink(out: { write(line: string): unknown }): void {
  sink = out;
}

export class JsonLogger implements LoggerService {
  constructor(
    private readonly service: string,
    private readonly minLevel: Level = 'info',
    private readonly fields: Record<string, unknown> = {},
  ) {}

  /** A logger that adds `fields` to every line (e.g. a component name). */
  child(fields: Record<string, unknown>): JsonLogger {
    return new JsonLogger(this.service, this.minLevel, { ...this.fields, ...fields });
  }

  write(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
    if (RANK[level] < RANK[this.minLevel]) return;
    sink.write(
      JSON.stringify({
        ts: new Date().toISOString(),
        level,
        service: this.service,
        ...this.fields,
        msg,
        ...fields,
      }) + '\n',
    );
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    this.write('info', msg, fields);
  }

  warnWith(msg: string, fields?: Record<string, unknown>): void {
    this.write('warn', msg, fields);
  }

  errorWith(msg: string, fields?: Record<string, unknown>): void {
    this.write('error', msg, fields);
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.write('debug', msg, fields);
  }

  // Nest's LoggerService: (message, ...optionalParams) where the last param is the context.
  log(message: unknown, ...params: unknown[]): void {
    this.write('info', String(message), nestContext(params));
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', String(message), nestContext(params));
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', String(message), nestContext(params));
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('debug', String(message), nestContext(params));
  }

  /**
   * A kafkajs logCreator that routes the client's logs here (warnings and errors only), sampled:
   * kafkajs logs every retry of a request, which floods the log while a broker is away.
   */
  kafkaLogCreator() {
    return () => {
      const sampled = new SampledLog(this);
      return ({ level, log }: LogEntry): void => {
        const { message, ...rest } = log;
        if (level === logLevel.ERROR) sampled.error('kafkajs', `kafkajs: ${message}`, rest);
        else if (level === logLevel.WARN) sampled.warn('kafkajs', `kafkajs: ${message}`, rest);
      };
    };
  }
}

function nestContext(params: unknown[]): Record<string, unknown> {
  const context =
    params.length > 0 && typeof params[params.length - 1] === 'string'
      ? params[params.length - 1]
      : undefined;
  const stack = params.find((p) => typeof p === 'string' && p.includes('\n    at '));
  return { ...(context ? { context } : {}), ...(stack && stack !== context ? { stack } : {}) };
}

/** A URL safe to log: scheme, host, port and path only (no userinfo, no query, no fragment). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparseable url)';
  }
}
