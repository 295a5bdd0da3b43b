// What a registry loaded from the webhooks topic alone (Postgres away at boot) must change once
// Postgres is back. The topic can hold a stale row after a delete (changes from two instances can
// reach it out of order, and compaction keeps the later one), so Postgres wins: each of its rows is
// offered as an upsert (the registry keeps whichever version is newer), and a webhook it lacks was
// deleted for good (ids are never reused, so its tombstone outranks any version).
import { upsertChange, type Webhook, type WebhookChange } from './webhook-change';

export function reconcileWithDatabase(
  held: Iterable<{ id: string; accountId: number }>,
  rows: readonly Webhook[],
): WebhookChange[] {
  const inDatabase = new Set(rows.map((row) => row.id));
  const changes: WebhookChange[] = rows.map(upsertChange);
  for (const { id, accountId } of held)
    if (!inDatabase.has(id))
      changes.push({ kind: 'delete', id, accountId, version: Number.MAX_SAFE_INTEGER });
  return changes;
}
