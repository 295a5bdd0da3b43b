// The lifecycle as part of the projection: each batch's newly inserted attempts and enable/disable
// events, folded in the batch's own transaction. The delivery topic is keyed by webhook id, so one
// projector consumer owns all of a webhook's records: one writer per webhook, in topic order, on
// every instance count; and since only new rows are folded, a replayed batch changes nothing.
import type { EntityManager } from 'typeorm';
import type { ProjectionObserver } from '../outcomes/outcome-projector';
import type { AttemptRow, StateEventRow } from '../outcomes/projection-rows';
import type { LifecycleFold, LifecycleStore } from './lifecycle.store';

export class LifecycleProjection implements ProjectionObserver {
  constructor(
    private readonly store: LifecycleStore,
    /** Called after a batch recorded transitions or made a disable due: publish and act on them now. */
    private readonly onChange: () => void,
  ) {}

  async observe(
    tx: EntityManager,
    fresh: { attempts: AttemptRow[]; stateEvents: StateEventRow[] },
  ): Promise<(() => void) | undefined> {
    const result = await this.store.fold(
      tx,
      lifecycleFolds(fresh.attempts, fresh.stateEvents),
      fresh.attempts.filter((a) => a.outcome === 'dead'),
    );
    return result.transitions.length > 0 || result.disableDue.length > 0 ? this.onChange : undefined;
  }
}

/**
 * A batch's attempts and webhook enable/disable events as lifecycle inputs, in time order (the
 * projection sorts attempts by id; an enable between two attempts must stay between them).
 */
export function lifecycleFolds(attempts: AttemptRow[], stateEvents: StateEventRow[]): LifecycleFold[] {
  const folds: LifecycleFold[] = attempts.map((a) => ({
    webhookId: a.webhook_id,
    accountId: a.account_id,
    input: {
      kind: 'attempt',
      at: a.finished_at,
      delivered: a.outcome === 'delivered',
      statusCode: a.status_code,
      error: a.error,
    },
  }));
  for (const e of stateEvents) {
    if (e.kind !== 'webhook_state') continue;
    folds.push({
      webhookId: e.webhook_id,
      accountId: e.account_id,
      input:
        e.state === 'enabled'
          ? { kind: 'enabled', at: e.at }
          : { kind: 'disabled', at: e.at, reason: e.reason ?? 'disabled' },
    });
  }
  // Stable: equal times keep the batch's order.
  return folds.sort((a, b) => a.input.at.getTime() - b.input.at.getTime());
}
