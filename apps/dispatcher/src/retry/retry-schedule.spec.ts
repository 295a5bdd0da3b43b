import { JITTER_RATIO, nextAttemptDelayMs, totalAttempts } from './retry-schedule';

const SCHEDULE = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
const middle = () => 0.5; // no jitter
const lowest = () => 0;
const highest = () => 0.999_999;

describe('nextAttemptDelayMs', () => {
  it('follows the schedule: after attempt n comes delay n', () => {
    const delays = SCHEDULE.map((_, i) => nextAttemptDelayMs(i + 1, SCHEDULE, middle, null));
    expect(delays).toEqual(SCHEDULE);
  });

  it('jitters each delay within ±20 %', () => {
    expect(JITTER_RATIO).toBe(0.2);
    expect(nextAttemptDelayMs(1, SCHEDULE, lowest, null)).toBe(4_000);
    expect(nextAttemptDelayMs(1, SCHEDULE, highest, null)).toBe(6_000);
    expect(nextAttemptDelayMs(2, SCHEDULE, () => 0.25, null)).toBe(270_000);
  });

  it('keeps a zero delay at zero', () => {
    expect(nextAttemptDelayMs(1, [0, 10], lowest, null)).toBe(0);
    expect(nextAttemptDelayMs(1, [0, 10], highest, null)).toBe(0);
  });

  it('is exhausted after the last scheduled attempt', () => {
    expect(totalAttempts(SCHEDULE)).toBe(8);
    expect(nextAttemptDelayMs(7, SCHEDULE, middle, null)).toBe(36_000_000);
    expect(nextAttemptDelayMs(8, SCHEDULE, middle, null)).toBeNull();
    expect(nextAttemptDelayMs(9, SCHEDULE, middle, null)).toBeNull();
  });

  it('with an empty schedule makes one attempt only', () => {
    expect(totalAttempts([])).toBe(1);
    expect(nextAttemptDelayMs(1, [], middle, null)).toBeNull();
  });

  it('lets Retry-After postpone an attempt', () => {
    expect(nextAttemptDelayMs(1, SCHEDULE, middle, 60_000)).toBe(60_000);
  });

  it('never lets Retry-After bring an attempt forward', () => {
    expect(nextAttemptDelayMs(2, SCHEDULE, middle, 1_000)).toBe(300_000);
    expect(nextAttemptDelayMs(2, SCHEDULE, lowest, 0)).toBe(240_000);
  });

  it('ignores Retry-After once attempts are exhausted', () => {
    expect(nextAttemptDelayMs(8, SCHEDULE, middle, 1_000)).toBeNull();
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses attemptsMade %p, a programming error', (n) => {
    expect(() => nextAttemptDelayMs(n, SCHEDULE, middle, null)).toThrow(RangeError);
  });
});
