import type { AttemptRecord, BreakerStateRecord } from '@vowchat/events';
import { fitted } from './delivery-recorder';

const attempt = (overrides: Partial<AttemptRecord> = {}): AttemptRecord => ({
  kind: 'attempt',
  attempt_id: '0190d6c2-0000-7000-8000-000000000001',
  delivery_id: '0190d6c2-0000-7000-8000-000000000002',
  event_id: '0190d6c2-0000-7000-8000-000000000003',
  webhook_id: '0190d6c2-0000-7000-8000-000000000004',
  account_id: 11,
  event_type: 'message_created',
  attempt: 8,
  outcome: 'dead',
  status_code: 500,
  duration_ms: 12,
  error: 'http_5xx',
  response_body: 'oops',
  next_attempt_at: null,
  started_at: '2024-01-15T10:30:00.000Z',
  finished_at: '2024-01-15T10:30:00.012Z',
  payload: '{"event":"message_created"}',
  ...overrides,
});

describe('fitted (attempt records within the delivery topic limit)', () => {
  it('keeps a record that fits as it is', () => {
    const record = attempt();
    expect(JSON.parse(fitted(record, 100_000))).toEqual(record);
  });

  it('leaves out the payload of an event near the limit, and says so', () => {
    const record = attempt({ payload: JSON.stringify({ content: 'x'.repeat(1_040_000) }) });
    const json = fitted(record, 1_040_000);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(1_040_000);
    expect(JSON.parse(json)).toMatchObject({
      payload: null,
      payload_omitted: true,
      attempt: 8,
      outcome: 'dead',
    });
  });

  it('counts JSON escaping: a payload of quotes doubles when encoded', () => {
    const record = attempt({ payload: '"'.repeat(600_000) });
    const json = fitted(record, 1_000_000);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(1_000_000);
    expect(JSON.parse(json)).toMatchObject({ payload_omitted: true });
  });

  it('cuts long texts as a last resort', () => {
    const record = attempt({ payload: null, error: 'e'.repeat(50_000), response_body: 'r'.repeat(50_000) });
    const json = fitted(record, 10_000);
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(10_000);
  });

  it('leaves other kinds alone', () => {
    const breaker: BreakerStateRecord = {
      kind: 'breaker_state',
      webhook_id: 'w',
      account_id: 1,
      state: 'open',
      at: '2024-01-15T10:30:00.000Z',
    };
    expect(fitted(breaker, 10)).toBe(JSON.stringify(breaker));
  });
});
