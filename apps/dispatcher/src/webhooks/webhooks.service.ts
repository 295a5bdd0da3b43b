// Webhook domain operations (create, change, delete, rotate, enable/disable). The HTTP API, the
// delivery path (410 Gone) and the endpoint lifecycle (automatic disable) all call these. Every
// change commits to Postgres with its outbox row, is applied to this instance's registry (so the
// very next event this instance consumes already sees it), and is published at once to the
// compacted webhooks topic for the other instances; an enable/disable's state record likewise, to
// the delivery topic. When a publish fails the change still stands: the outbox relay publishes it
// within seconds (registry/webhook-outbox.ts).
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { generateSecret, type WebhookStateRecord } from '@vowchat/events';
import { redactUrl, type JsonLogger } from '@vowchat/platform';
import type { DispatcherConfig } from '../config';
import { CLOCK, DISPATCHER_CONFIG, LOGGER, type Clock } from '../tokens';
import { deleteChange, upsertChange, type Webhook, type WebhookChange } from '../registry/webhook-change';
import { WebhookChangePublisher } from '../registry/webhook-changes.publisher';
import { WebhookOutboxRepository } from '../registry/webhook-outbox.repository';
import { WebhookEntity } from '../registry/webhook.entity';
import { WebhookRegistry } from '../registry/webhook.registry';
import { WebhookRepository } from '../registry/webhook.repository';
import type { CreateWebhookInput, UpdateWebhookInput } from './webhook-edits';
import { WebhookLimitReachedError, WebhookNotFoundError } from './webhook.errors';

/** Most webhooks one account may have: each event fans out to all of them. */
export const MAX_WEBHOOKS_PER_ACCOUNT = 100;

const DISABLED_THROUGH_API = 'disabled through the API';

@Injectable()
export class WebhooksService {
  private readonly logger: JsonLogger;

  constructor(
    private readonly repository: WebhookRepository,
    private readonly publisher: WebhookChangePublisher,
    private readonly outbox: WebhookOutboxRepository,
    private readonly registry: WebhookRegistry,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.logger = logger.child({ component: 'webhooks' });
  }

  list(accountId: number): Promise<Webhook[]> {
    return this.repository.listForAccount(accountId);
  }

  async get(accountId: number, id: string): Promise<Webhook> {
    const webhook = await this.repository.find({ id, accountId });
    if (webhook === null) throw new WebhookNotFoundError(id);
    return webhook;
  }

  /** Creates an enabled webhook with a new signing secret; throws WebhookLimitReachedError at the cap. */
  async create(accountId: number, input: CreateWebhookInput): Promise<Webhook> {
    const now = this.clock.now();
    const webhook = Object.assign(new WebhookEntity(), {
      id: randomUUID(),
      accountId,
      name: input.name,
      url: input.url,
      subscriptions: input.subscriptions,
      secret: generateSecret(),
      previousSecret: null,
      previousSecretExpiresAt: null,
      enabled: true,
      disabledReason: null,
      rateLimitPerSecond: input.rateLimitPerSecond,
      version: 1,
      createdAt: now,
      updatedAt: now,
    } satisfies Webhook);
    if (!(await this.repository.insertWithinLimit(webhook, MAX_WEBHOOKS_PER_ACCOUNT))) {
      throw new WebhookLimitReachedError(MAX_WEBHOOKS_PER_ACCOUNT);
    }
    await this.propagate('webhook created', upsertChange(webhook));
    return webhook;
  }

  async update(accountId: number, id: string, input: UpdateWebhookInput): Promise<Webhook> {
    const result = await this.repository.update({ id, accountId }, this.clock.now(), (w) => {
      if (input.url !== undefined) w.url = input.url;
      if (input.subscriptions !== undefined) w.subscriptions = input.subscriptions;
      if (input.name !== undefined) w.name = input.name;
      if (input.rateLimitPerSecond !== undefined) w.rateLimitPerSecond = input.rateLimitPerSecond;
      if (input.enabled !== undefined && input.enabled !== w.enabled) {
        w.enabled = input.enabled;
        w.disabledReason = input.enabled ? null : DISABLED_THROUGH_API;
      }
      return true;
    });
    if (result === null) throw new WebhookNotFoundError(id);
    await this.propagate('webhook updated', upsertChange(result.webhook));
    if (result.state) await this.recordState(result.state, result.webhook.version);
    return result.webhook;
  }

  async remove(accountId: number, id: string): Promise<void> {
    const deleted = await this.repository.delete({ id, accountId });
    if (deleted === null) throw new WebhookNotFoundError(id);
    await this.propagate('webhook deleted', deleteChange(deleted));
  }

  /**
   * Replaces the signing secret. The old one keeps signing, beside the new one, for the configured
   * grace, so receivers can switch without missing a delivery. (Rotating again within the grace
   * retires the oldest secret at once.)
   */
  async rotateSecret(accountId: number, id: string): Promise<Webhook> {
    const now = this.clock.now();
    const result = await this.repository.update({ id, accountId }, now, (w) => {
      w.previousSecret = w.secret;
      w.previousSecretExpiresAt = new Date(now.getTime() + this.config.delivery.secretGraceMs);
      w.secret = generateSecret();
      return true;
    });
    if (result === null) throw new WebhookNotFoundError(id);
    await this.propagate('webhook secret rotated', upsertChange(result.webhook));
    return result.webhook;
  }

  /**
   * Enables or disables a webhook whatever its account (delivery disables one that answers 410 Gone,
   * the endpoint lifecycle one that has failed for too long).
   * Undefined when the webhook no longer exists; no change, and no new version, when it is already
   * in that state.
   */
  async setEnabled(id: string, enabled: boolean, reason: string | null): Promise<Webhook | undefined> {
    const result = await this.repository.update({ id }, this.clock.now(), (w) => {
      if (w.enabled === enabled) return false;
      w.enabled = enabled;
      w.disabledReason = enabled ? null : reason;
      return true;
    });
    if (result === null) return undefined;
    if (result.changed) {
      await this.propagate(enabled ? 'webhook enabled' : 'webhook disabled', upsertChange(result.webhook));
      if (result.state) await this.recordState(result.state, result.webhook.version);
    }
    return result.webhook;
  }

  /**
   * Every enable/disable is also a fact on the delivery topic (and so in the delivery log), written
   * to the outbox with the change (version `version`). Published here unless an older state record
   * of the webhook still waits there: the relay then publishes both, oldest first, since the
   * lifecycle reads them in topic order. Never throws: the outbox row is committed.
   */
  private async recordState(state: WebhookStateRecord, version: number): Promise<void> {
    const identity = { webhook_id: state.webhook_id, account_id: state.account_id, version };
    try {
      if (!(await this.outbox.stateIsNext(state.webhook_id, version))) {
        this.logger.info('webhook state left to the outbox relay, after an older one', identity);
        return;
      }
      await this.publisher.publishState(state);
    } catch (error) {
      this.logger.warnWith('webhook state not published yet: the outbox relay will', {
        ...identity,
        topic: this.config.topics.deliveries,
        error: (error as Error).message,
      });
      return;
    }
    try {
      await this.outbox.statePublished(state.webhook_id, version);
    } catch (error) {
      // The row stays, so the relay publishes it a second time: the projection writes it once (state_id).
      this.logger.warnWith('published webhook state left in the outbox', {
        ...identity,
        error: (error as Error).message,
      });
    }
  }

  /** Called once `change` is committed (with its outbox row). */
  private async propagate(what: string, change: WebhookChange): Promise<void> {
    this.registry.apply(change);
    this.logger.info(what, logFields(change));
    try {
      await this.publisher.publish(change);
    } catch (error) {
      // Not an error for the caller: answering one would invite a retry, and a retried create
      // makes a second webhook. The outbox row is committed; the relay publishes it.
      this.logger.warnWith('webhook change not published yet: the outbox relay will', {
        ...changeIdentity(change),
        topic: this.config.topics.webhooks,
        error: (error as Error).message,
      });
      return;
    }
    try {
      await this.outbox.published(change);
    } catch (error) {
      // The row stays, so the relay publishes the change a second time: harmless, registries apply by version.
      this.logger.warnWith('published webhook change left in the outbox', {
        ...changeIdentity(change),
        error: (error as Error).message,
      });
    }
  }
}

function changeIdentity(change: WebhookChange): Record<string, unknown> {
  return change.kind === 'delete'
    ? { webhook_id: change.id, account_id: change.accountId, version: change.version }
    : {
        webhook_id: change.webhook.id,
        account_id: change.webhook.accountId,
        version: change.webhook.version,
      };
}

// Never the secret: ids, the redacted URL, what it listens to.
function logFields(change: WebhookChange): Record<string, unknown> {
  if (change.kind === 'delete') return changeIdentity(change);
  const w = change.webhook;
  return {
    webhook_id: w.id,
    account_id: w.accountId,
    url: redactUrl(w.url),
    subscriptions: w.subscriptions,
    enabled: w.enabled,
    ...(w.disabledReason ? { disabled_reason: w.disabledReason } : {}),
    version: w.version,
  };
}
