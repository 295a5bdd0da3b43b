import { JsonLogger } from './logger';
import { SampledLog } from './sampled-log';

class CapturingLogger extends JsonLogger {
  readonly lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  constructor() {
    super('test', 'debug');
  }
  override write(
    level: 'debug' | 'info' | 'warn' | 'error',
    msg: string,
    fields: Record<string, unknown> = {},
  ): void {
    this.lines.push({ level, msg, fields });
  }
}

describe('SampledLog', () => {
  let now = 0;
  const clock = () => now;
  beforeEach(() => {
    now = 0;
    jest.useFakeTimers();
  });
  afterEach(() => jest.useRealTimers());

  it('writes the first line of a kind at once and one summary with the count at the end of its interval', () => {
    const logger = new CapturingLogger();
    const sampled = new SampledLog(logger, { intervalMs: 1_000, now: clock });
    for (let i = 0; i < 10_000; i++) sampled.warn('not_json', 'record dead-lettered', { offset: i });
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0].fields).toMatchObject({ kind: 'not_json', offset: 0 });
    now = 1_000;
    jest.advanceTimersByTime(1_000);
    expect(logger.lines).toHaveLength(2);
    expect(logger.lines[1].fields).toMatchObject({ kind: 'not_json', repeated: 9_999, offset: 9_999 });
  });

  it('keeps kinds apart and writes nothing more when a kind was seen only once', () => {
    const logger = new CapturingLogger();
    const sampled = new SampledLog(logger, { intervalMs: 1_000, now: clock });
    sampled.warn('a', 'record dead-lettered');
    sampled.warn('b', 'record dead-lettered');
    sampled.error('a', 'record dead-lettered');
    now = 5_000;
    jest.advanceTimersByTime(5_000);
    expect(logger.lines.map((l) => `${l.level}:${String(l.fields.kind)}`)).toEqual([
      'warn:a',
      'warn:b',
      'error:a',
    ]);
  });

  it('starts a new interval with a line of its own once the last one is over', () => {
    const logger = new CapturingLogger();
    const sampled = new SampledLog(logger, { intervalMs: 1_000, now: clock });
    sampled.warn('a', 'm');
    sampled.warn('a', 'm');
    now = 1_500;
    sampled.warn('a', 'm'); // closes the old window (1 held) and opens a new one
    expect(logger.lines.map((l) => l.fields.repeated)).toEqual([undefined, 1, undefined]);
  });

  it('bounds the kinds it remembers', () => {
    const logger = new CapturingLogger();
    const sampled = new SampledLog(logger, { intervalMs: 1_000, maxKinds: 3, now: clock });
    for (let i = 0; i < 100; i++) {
      sampled.warn(`k${i}`, 'm');
      sampled.warn(`k${i}`, 'm');
    }
    sampled.flush();
    expect(logger.lines.filter((l) => l.fields.repeated === 1)).toHaveLength(100);
  });
});
