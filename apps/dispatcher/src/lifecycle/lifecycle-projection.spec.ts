import type { AttemptRow, StateEventRow } from '../outcomes/projection-rows';
import { lifecycleFolds } from './lifecycle-projection';

const W = '0190a1b2-0000-7000-8000-000000000001';
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const attempt = (s: number, outcome: AttemptRow['outcome']) =>
  ({
    webhook_id: W,
    account_id: 3,
    finished_at: at(s),
    outcome,
    status_code: 500,
    error: 'http_5xx',
  }) as AttemptRow;
const state = (s: number, kind: StateEventRow['kind'], value: string, reason: string | null = null) =>
  ({ webhook_id: W, account_id: 3, kind, state: value, reason, at: at(s) }) as StateEventRow;

describe('lifecycleFolds', () => {
  it('orders attempts and enable/disable by time and leaves out breaker and lifecycle events', () => {
    const folds = lifecycleFolds(
      [attempt(3, 'delivered'), attempt(1, 'retrying'), attempt(4, 'dead')],
      [
        state(2, 'webhook_state', 'disabled', 'disabled through the API'),
        state(2, 'breaker_state', 'open'),
        state(2, 'webhook_state', 'enabled'),
        state(0, 'endpoint_lifecycle', 'failing', 'endpoint.failing'),
      ],
    );
    expect(folds.map((f) => [f.input.kind, f.input.at.getUTCSeconds()])).toEqual([
      ['attempt', 1],
      ['disabled', 2],
      ['enabled', 2],
      ['attempt', 3],
      ['attempt', 4],
    ]);
    expect(folds[1].input).toMatchObject({ reason: 'disabled through the API' });
    expect(folds.map((f) => (f.input.kind === 'attempt' ? f.input.delivered : null))).toEqual([
      false,
      null,
      null,
      true,
      false,
    ]);
  });
});
