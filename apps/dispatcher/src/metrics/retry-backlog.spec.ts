import { retryBacklogOf } from './retry-backlog';

describe('retryBacklogOf', () => {
  const now = new Date('2026-11-25T12:00:00Z');

  it('gives the age of the oldest row past its due time', () => {
    expect(retryBacklogOf({ waiting: 10, due: 3, oldest: new Date('2026-11-25T11:59:30Z') }, now)).toEqual({
      waiting: 10,
      due: 3,
      oldestDueAgeSeconds: 30,
    });
  });

  it('is 0 when nothing is due yet or nothing waits', () => {
    expect(
      retryBacklogOf({ waiting: 2, due: 0, oldest: new Date('2026-11-25T12:05:00Z') }, now),
    ).toMatchObject({ oldestDueAgeSeconds: 0 });
    expect(retryBacklogOf({ waiting: 0, due: 0, oldest: null }, now)).toEqual({
      waiting: 0,
      due: 0,
      oldestDueAgeSeconds: 0,
    });
  });
});
