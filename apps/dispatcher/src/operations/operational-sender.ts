// Sends operational webhooks: polls `operational_deliveries` for due rows (leased, so several
// instances share them), signs each like any delivery (signRequest: Standard Webhooks and the
// X-VowChat headers, keyed by the operations endpoint's secret; `webhook-id` is the notification id,
// the same on every retry), posts it through a WebhookSender (the same HTTP adapter and SSRF guard
// as deliveries) and settles it by the same verdicts and retry schedule. No breaker and no lanes:
// a few notifications per endpoint per day, not a stream.
import { signRequest } from '@vowchat/events';
import type { JsonLogger } from '@vowchat/platform';
import { classifyResult } from '../delivery/response-classifier';
import type { SendRequest, SendResult } from '../delivery/webhook-sender';
import type { Clock } from '../tokens';
import { operationalOutcome } from './operational-outcome';
import type { OperationsWebhookRepository } from './operations-webhook.repository';

export interface OperationalSenderDeps {
  repository: Pick<OperationsWebhookRepository, 'lease' | 'settle'>;
  sender: { send(request: SendRequest): Promise<SendResult>; close?(): Promise<void> };
  clock: Clock;
  random: () => number;
  log: JsonLogger;
  settings: {
    pollMs: number;
    timeoutMs: number;
    retryScheduleMs: readonly number[];
    retryAfterCapMs: number;
  };
}

export class OperationalSender {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private closed = false;

  constructor(private readonly deps: OperationalSenderDeps) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Stops polling, waits for the sends in flight, closes the pool; a second call does nothing. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    if (this.closed) return;
    this.closed = true;
    await this.deps.sender.close?.();
  }

  /** Sends what is due now; a failure of ours is logged and the rows come due again after their lease. */
  async runOnce(): Promise<void> {
    const { repository, clock, log, settings } = this.deps;
    try {
      const due = await repository.lease(clock.now(), Math.max(3 * settings.timeoutMs, 15_000), 50);
      await Promise.all(due.map((d) => this.deliver(d)));
    } catch (error) {
      log.errorWith('operational webhooks not sent', { error: (error as Error).message });
    }
  }

  private async deliver(d: Awaited<ReturnType<OperationsWebhookRepository['lease']>>[number]): Promise<void> {
    const { repository, sender, clock, random, settings, log } = this.deps;
    if (d.url === null || d.secret === null) {
      // The account removed its operations endpoint since: nothing to send to.
      await repository.settle(
        d.id,
        { status: 'failed', statusCode: null, error: 'no operations endpoint' },
        clock.now(),
      );
      return;
    }
    const signed = signRequest([d.secret], d.id, d.id, Math.floor(clock.now().getTime() / 1000), d.body);
    const result = await sender.send({
      url: d.url,
      body: d.body,
      headers: { ...signed, 'x-vowchat-event': d.type, 'x-vowchat-event-id': d.id },
    });
    const now = clock.now();
    const outcome = operationalOutcome(
      classifyResult(result, settings.retryAfterCapMs, now),
      d.attempts + 1,
      settings.retryScheduleMs,
      random,
      now,
    );
    const error = outcome.status === 'delivered' ? null : outcome.reason;
    if (outcome.status === 'dead' || outcome.status === 'failed')
      log.warnWith('operational webhook not delivered', {
        id: d.id,
        account_id: d.accountId,
        type: d.type,
        status: outcome.status,
        error,
      });
    await repository.settle(
      d.id,
      {
        status: outcome.status,
        dueAt: outcome.status === 'pending' ? outcome.dueAt : undefined,
        statusCode: result.statusCode,
        error,
      },
      now,
    );
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce().finally(() => {
        this.running = null;
        this.schedule();
      });
    }, this.deps.settings.pollMs);
  }
}
