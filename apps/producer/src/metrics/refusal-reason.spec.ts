import { REFUSAL_REASONS, refusalReasonOf } from './refusal-reason';

describe('refusalReasonOf', () => {
  it('names the refusal each status stands for', () => {
    expect(refusalReasonOf(400)).toBe('malformed');
    expect(refusalReasonOf(401)).toBe('unauthorized');
    expect(refusalReasonOf(413)).toBe('too_large');
    expect(refusalReasonOf(415)).toBe('unsupported_encoding');
    expect(refusalReasonOf(422)).toBe('validation');
    expect(refusalReasonOf(429)).toBe('rate_limited');
    expect(refusalReasonOf(503)).toBe('kafka_unavailable');
    expect(refusalReasonOf(500)).toBe('internal_error');
    expect(refusalReasonOf(409)).toBe('other');
  });

  it('is null for answers that are not refusals', () => {
    expect(refusalReasonOf(202)).toBeNull();
    expect(refusalReasonOf(200)).toBeNull();
  });

  it('only answers declared reasons (bounded label values)', () => {
    for (let status = 400; status < 600; status++) expect(REFUSAL_REASONS).toContain(refusalReasonOf(status));
  });
});
