// What happens when an endpoint's circuit breaker changes state: a log line, a counted transition,
// and a record on the delivery topic (the projector keeps it in webhook_state_events). Publishing
// the record is best-effort: a breaker change is an observation, not a delivery to make durable.
import type { BreakerState } from '@vowchat/events';
import type { JsonLogger } from '@vowchat/platform';
import type { DispatcherMetrics } from '../metrics/dispatcher-metrics';
import type { DeliveryRecorder } from '../outcomes/delivery-recorder';
import type { Clock } from '../tokens';

export interface BreakerChange {
  webhookId: string;
  accountId: number;
  state: BreakerState;
}

export class BreakerChanges {
  constructor(
    private readonly deps: {
      recorder: Pick<DeliveryRecorder, 'record'>;
      metrics: Pick<DispatcherMetrics, 'breakerTransitions'>;
      clock: Clock;
      log: JsonLogger;
    },
  ) {}

  onChange(change: BreakerChange): void {
    const { recorder, metrics, clock, log } = this.deps;
    const at = clock.now().toISOString();
    log.info('circuit breaker state changed', {
      webhook_id: change.webhookId,
      account_id: change.accountId,
      state: change.state,
    });
    metrics.breakerTransitions.inc({ state: change.state });
    void recorder
      .record({
        kind: 'breaker_state',
        webhook_id: change.webhookId,
        account_id: change.accountId,
        state: change.state,
        at,
      })
      .catch((error: Error) => log.warnWith('breaker state record not published', { error: error.message }));
  }
}
