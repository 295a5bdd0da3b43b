import { emptyTotals } from './endpoint-health';
import { planWindow } from './health-window';
import { endpointListItem, retriesView, worstFirst, type EndpointListItem } from './health.view';

const NOW = new Date('2026-03-10T12:00:30Z');
const plan = planWindow('1h', NOW);

function item(id: string, score: number, attempts: number, delivered: number): EndpointListItem {
  return endpointListItem(
    { id, accountId: 1, name: null, url: 'https://example.com', enabled: true },
    plan,
    { ...emptyTotals(), attempts, delivered },
    { score, failingSince: null, breaker: null, retries: null, now: NOW },
  );
}

describe('worstFirst', () => {
  it('orders by score, then by more failures, then by id', () => {
    const ordered = worstFirst([
      item('c', 1, 0, 0),
      item('b', 0.5, 1, 0),
      item('a', 0.5, 5, 2),
      item('d', 0.01, 100, 0),
      item('e', 1, 0, 0),
    ]);
    expect(ordered.map((i) => i.webhook_id)).toEqual(['d', 'a', 'b', 'c', 'e']);
  });
});

describe('endpointListItem', () => {
  it('defaults a webhook without breaker events to closed and without retries to 0', () => {
    expect(item('a', 1, 0, 0)).toMatchObject({
      breaker_state: 'closed',
      pending_retries: 0,
      success_ratio: null,
    });
  });
});

describe('retriesView', () => {
  it('gives the ages of the oldest pending and the most overdue retry', () => {
    expect(
      retriesView(
        {
          pending: 3,
          due: 1,
          oldestCreatedAt: new Date('2026-03-10T11:59:30Z'),
          oldestDueAt: new Date('2026-03-10T12:00:20Z'),
        },
        NOW,
      ),
    ).toEqual({ pending: 3, due: 1, oldest_pending_age_ms: 60_000, oldest_due_age_ms: 10_000 });
    expect(retriesView(null, NOW)).toEqual({
      pending: 0,
      due: 0,
      oldest_pending_age_ms: null,
      oldest_due_age_ms: null,
    });
  });
});
