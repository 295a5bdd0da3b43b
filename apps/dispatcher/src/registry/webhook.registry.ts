// Every webhook, in memory, on every dispatcher instance: finding an event's webhooks costs no I/O.
// Loaded at boot from Postgres (or, while Postgres is away, from the compacted webhooks topic) and
// kept current from that topic (webhook-changes.listener.ts) and by this instance's own API writes
// (webhooks.service.ts).
import { Inject, Injectable } from '@nestjs/common';
import type { EventType } from '@vowchat/events';
import { CLOCK, type Clock } from '../tokens';
import type { WebhookChange } from './webhook-change';
import { WebhookIndex, type WebhookTarget } from './webhook-index';

@Injectable()
export class WebhookRegistry {
  private readonly index = new WebhookIndex();
  private markLoaded!: () => void;
  private readonly loaded = new Promise<void>((resolve) => (this.markLoaded = resolve));

  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  /** The account's enabled webhooks subscribed to `type`: O(webhooks of that account), no I/O. */
  matching(accountId: number, type: EventType, now: Date = this.clock.now()): WebhookTarget[] {
    return this.index.matching(accountId, type, now);
  }

  /** One enabled webhook (e.g. for a retry); undefined once it is deleted or disabled. */
  get(id: string, now: Date = this.clock.now()): WebhookTarget | undefined {
    return this.index.get(id, now);
  }

  /** Applies a change unless it is older than what is held; returns whether it was applied. */
  apply(change: WebhookChange): boolean {
    return this.index.apply(change);
  }

  /** The version held for `id`, tombstones included; undefined for a webhook never seen. */
  versionOf(id: string): number | undefined {
    return this.index.versionOf(id);
  }

  /** The live webhooks held, enabled or not, by id and account. */
  held(): { id: string; accountId: number }[] {
    return this.index.held();
  }

  /** Live webhooks held, enabled or not. */
  get size(): number {
    return this.index.size;
  }

  /** Live webhooks held that are disabled (a gauge). */
  get disabledCount(): number {
    return this.index.disabledCount;
  }

  /** Resolves once every webhook has been loaded (from Postgres or the topic): consume events only after this. */
  whenLoaded(): Promise<void> {
    return this.loaded;
  }

  /** Called by the listener when the boot load is done. */
  markAsLoaded(): void {
    this.markLoaded();
  }
}
