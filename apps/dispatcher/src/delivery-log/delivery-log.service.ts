// The delivery log: read a webhook's deliveries and their attempts, and redeliver failed or dead
// ones by scheduling their next attempt in the durable retry store (due now), where the dispatcher's
// retry poller picks it up like any other retry.
import { ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { JsonLogger } from '@vowchat/platform';
import { RetryStore } from '../retry/retry-store';
import { CLOCK, LOGGER, type Clock } from '../tokens';
import type { DeliveryListQuery } from './delivery-log-query';
import { DeliveryLogRepository, type DeliveryPage, type WebhookScope } from './delivery-log.repository';
import type { AttemptRow, DeliveryRow } from './delivery.view';
import { redeliveryJob, redeliveryRefusal, type RedeliveryCandidate } from './redelivery';

/** Deliveries read and scheduled per round trip in a bulk redelivery. */
const BULK_PAGE = 1_000;

export interface BulkRedelivery {
  redelivered: number;
  /** Failed or dead deliveries in range whose event body was not recorded. */
  skipped: number;
}

@Injectable()
export class DeliveryLogService {
  private readonly log: JsonLogger;

  constructor(
    private readonly repository: DeliveryLogRepository,
    @Inject(RetryStore) private readonly retries: RetryStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child({ component: 'delivery-log' });
  }

  async list(scope: WebhookScope, query: DeliveryListQuery): Promise<DeliveryPage> {
    await this.requireWebhook(scope);
    return this.repository.list(scope, query);
  }

  async get(
    scope: WebhookScope,
    deliveryId: string,
  ): Promise<{ delivery: DeliveryRow; attempts: AttemptRow[] }> {
    await this.requireWebhook(scope);
    const delivery = await this.repository.delivery(scope, deliveryId);
    if (delivery === null) throw deliveryNotFound(deliveryId);
    return { delivery, attempts: await this.repository.attempts(deliveryId) };
  }

  /** Schedules the next attempt of one failed or dead delivery; returns that attempt's number. */
  async redeliver(scope: WebhookScope, deliveryId: string): Promise<number> {
    await this.requireWebhook(scope);
    const candidate = await this.repository.candidate(scope, deliveryId);
    if (candidate === null) throw deliveryNotFound(deliveryId);
    const refusal = redeliveryRefusal(candidate);
    if (refusal !== null) throw new ConflictException(refusal);
    const job = redeliveryJob(candidate as RedeliveryCandidate & { payload: string });
    await this.retries.schedule(job, this.clock.now());
    this.log.info('delivery redelivered', {
      webhook_id: scope.webhookId,
      delivery_id: deliveryId,
      attempt: job.attempt,
    });
    return job.attempt;
  }

  /** Redelivers every failed or dead delivery of the webhook whose last attempt is at or after `since`. */
  async redeliverSince(scope: WebhookScope, since: Date): Promise<BulkRedelivery> {
    await this.requireWebhook(scope);
    const now = this.clock.now();
    let redelivered = 0;
    let skipped = 0;
    let afterId: string | null = null;
    for (;;) {
      const page = await this.repository.redeliverable(scope, since, afterId, BULK_PAGE);
      if (page.length === 0) break;
      const ready = page.filter((d) => redeliveryRefusal(d) === null) as (RedeliveryCandidate & {
        payload: string;
      })[];
      skipped += page.length - ready.length;
      // The store group-commits: a page of schedules becomes one or two multi-row upserts.
      await Promise.all(ready.map((d) => this.retries.schedule(redeliveryJob(d), now)));
      redelivered += ready.length;
      afterId = page[page.length - 1].delivery_id;
    }
    this.log.info('deliveries redelivered', {
      webhook_id: scope.webhookId,
      since: since.toISOString(),
      redelivered,
      skipped_without_body: skipped,
    });
    return { redelivered, skipped };
  }

  private async requireWebhook(scope: WebhookScope): Promise<void> {
    if (!(await this.repository.webhookExists(scope))) throw webhookNotFound(scope.webhookId);
  }
}

/** Also the answer for another account's webhook: it is never visible. */
export function webhookNotFound(webhookId: string): NotFoundException {
  return new NotFoundException(`webhook ${webhookId} not found in this account`);
}

export function deliveryNotFound(deliveryId: string): NotFoundException {
  return new NotFoundException(`delivery ${deliveryId} not found for this webhook`);
}
