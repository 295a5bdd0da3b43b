// The registry's in-memory structure: every live webhook, grouped by account, built from versioned
// changes. Pure: no I/O, no clock of its own (callers pass `now`).
import type { EventType } from '@vowchat/events';
import type { Webhook, WebhookChange } from './webhook-change';

/** What delivery needs to know about one enabled webhook. */
export interface WebhookTarget {
  readonly id: string;
  readonly accountId: number;
  readonly url: string;
  readonly subscriptions: ReadonlySet<EventType>;
  /** The current secret first, then the previous one while its rotation grace lasts. */
  readonly secrets: readonly string[];
  /** Most requests per second to the endpoint (all instances together); null for the default. */
  readonly rateLimitPerSecond: number | null;
}

interface Entry {
  version: number;
  /** Null for a tombstone: kept so a stale upsert arriving after the delete is ignored. */
  live: {
    accountId: number;
    enabled: boolean;
    target: WebhookTarget;
    /** The same target signing with the previous secret too; null when there is none. */
    inGrace: WebhookTarget | null;
    graceEndsMs: number;
  } | null;
}

export class WebhookIndex {
  private readonly byId = new Map<string, Entry>();
  /** Enabled webhooks only, so matching walks nothing it would skip. */
  private readonly byAccount = new Map<number, Map<string, Entry>>();
  private live = 0;
  private disabled = 0;

  /** Applies `change` when it is newer than what is held; returns whether it was applied. */
  apply(change: WebhookChange): boolean {
    const [id, version] =
      change.kind === 'upsert' ? [change.webhook.id, change.webhook.version] : [change.id, change.version];
    const held = this.byId.get(id);
    if (held !== undefined && version <= held.version) return false;
    if (held?.live) {
      this.unlist(id, held.live.accountId);
      this.live--;
      if (!held.live.enabled) this.disabled--;
    }
    const entry: Entry =
      change.kind === 'upsert' ? { version, live: liveEntry(change.webhook) } : { version, live: null };
    this.byId.set(id, entry);
    if (entry.live) {
      this.live++;
      if (entry.live.enabled) this.list(id, entry.live.accountId, entry);
      else this.disabled++;
    }
    return true;
  }

  /** The account's enabled webhooks subscribed to `type`. */
  matching(accountId: number, type: EventType, now: Date): WebhookTarget[] {
    const entries = this.byAccount.get(accountId);
    if (entries === undefined) return [];
    const nowMs = now.getTime();
    const found: WebhookTarget[] = [];
    for (const entry of entries.values()) {
      const live = entry.live!;
      if (live.target.subscriptions.has(type)) found.push(targetAt(live, nowMs));
    }
    return found;
  }

  /** One enabled webhook; undefined when it is unknown, deleted or disabled. */
  get(id: string, now: Date): WebhookTarget | undefined {
    const live = this.byId.get(id)?.live;
    return live?.enabled ? targetAt(live, now.getTime()) : undefined;
  }

  /** The version held for `id` (tombstones included), or undefined. */
  versionOf(id: string): number | undefined {
    return this.byId.get(id)?.version;
  }

  /** Live webhooks held, enabled or not. */
  get size(): number {
    return this.live;
  }

  /** The live webhooks held, enabled or not, by id and account. */
  held(): { id: string; accountId: number }[] {
    const held: { id: string; accountId: number }[] = [];
    for (const [id, entry] of this.byId) if (entry.live) held.push({ id, accountId: entry.live.accountId });
    return held;
  }

  /** Live webhooks held that are disabled. */
  get disabledCount(): number {
    return this.disabled;
  }

  private list(id: string, accountId: number, entry: Entry): void {
    let entries = this.byAccount.get(accountId);
    if (entries === undefined) this.byAccount.set(accountId, (entries = new Map<string, Entry>()));
    entries.set(id, entry);
  }

  private unlist(id: string, accountId: number): void {
    const entries = this.byAccount.get(accountId);
    if (entries === undefined) return;
    entries.delete(id);
    if (entries.size === 0) this.byAccount.delete(accountId);
  }
}

function liveEntry(w: Webhook): NonNullable<Entry['live']> {
  const base = {
    id: w.id,
    accountId: w.accountId,
    url: w.url,
    subscriptions: new Set(w.subscriptions),
    rateLimitPerSecond: w.rateLimitPerSecond,
  };
  const target: WebhookTarget = Object.freeze({ ...base, secrets: Object.freeze([w.secret]) });
  const inGrace: WebhookTarget | null =
    w.previousSecret !== null && w.previousSecretExpiresAt !== null
      ? Object.freeze({ ...base, secrets: Object.freeze([w.secret, w.previousSecret]) })
      : null;
  return {
    accountId: w.accountId,
    enabled: w.enabled,
    target,
    inGrace,
    graceEndsMs: w.previousSecretExpiresAt?.getTime() ?? 0,
  };
}

function targetAt(live: NonNullable<Entry['live']>, nowMs: number): WebhookTarget {
  return live.inGrace !== null && nowMs < live.graceEndsMs ? live.inGrace : live.target;
}
