import { FAILURE_CLASSES } from '@vowchat/events';
import { ATTEMPT_CLASSES, attemptClassOf } from './attempt-class';

describe('attemptClassOf', () => {
  it('keeps delivered, failed and dead as they are, whatever the failure class', () => {
    expect(attemptClassOf('delivered', null)).toBe('delivered');
    expect(attemptClassOf('failed', 'http_4xx')).toBe('failed');
    expect(attemptClassOf('failed', 'internal')).toBe('failed');
    expect(attemptClassOf('failed', 'gone')).toBe('failed');
    expect(attemptClassOf('dead', 'http_5xx')).toBe('dead');
    expect(attemptClassOf('dead', 'timeout')).toBe('dead');
  });

  it('splits retried attempts by why they failed', () => {
    expect(attemptClassOf('retrying', 'http_5xx')).toBe('retried_5xx');
    expect(attemptClassOf('retrying', 'throttled')).toBe('throttled');
    expect(attemptClassOf('retrying', 'timeout')).toBe('timeout');
    expect(attemptClassOf('retrying', 'connection')).toBe('connection_error');
  });

  it('always answers one of the declared classes (bounded label values)', () => {
    const outcomes = ['delivered', 'retrying', 'failed', 'dead'] as const;
    for (const outcome of outcomes)
      for (const failure of [null, ...FAILURE_CLASSES])
        expect(ATTEMPT_CLASSES).toContain(attemptClassOf(outcome, failure));
  });
});
