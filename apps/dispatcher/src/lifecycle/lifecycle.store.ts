// Where each webhook's lifecycle lives: `endpoint_lifecycle` in Postgres, folded in the caller's
// transaction (the projector's batch, or the monitor's check) with the rows locked, so the projector
// of the webhook's delivery-topic partition and the monitors of every instance take turns. New
// transitions go to `endpoint_lifecycle_transitions` (once, by their derived id: the outbox the
// relay publishes to the delivery topic from) and, for accounts with an operations endpoint, to
// `operational_deliveries` in the same transaction. A handful of statements per batch, never one per record.
import { hashToUuid, type EndpointLifecycleRecord, type EndpointLifecycleState } from '@vowchat/events';
import type { DataSource, EntityManager } from 'typeorm';
import { attemptExhaustedEvent, lifecycleEvent } from '../operations/operational-event';
import type { AttemptRow } from '../outcomes/projection-rows';
import {
  automaticDisableReason,
  disableAtOf,
  HEALTHY,
  reduceLifecycle,
  type LifecycleInput,
  type LifecycleSettings,
  type LifecycleState,
  type LifecycleTransition,
} from './endpoint-lifecycle';

/** One input for one webhook. */
export interface LifecycleFold {
  webhookId: string;
  accountId: number;
  input: LifecycleInput;
}

export interface FoldResult {
  /** Transitions this fold recorded first (a replayed one is not here). */
  transitions: EndpointLifecycleRecord[];
  /** Webhooks whose automatic disable is due, with the reason to record. */
  disableDue: { webhookId: string; reason: string }[];
}

/** A webhook's lifecycle as the health API shows it. */
export interface LifecycleStatus extends LifecycleState {
  disableAt: Date | null;
}

interface LifecycleRow {
  webhook_id: string;
  account_id: string;
  state: EndpointLifecycleState;
  consecutive_failures: number;
  failing_since: Date | null;
  last_status_code: number | null;
  last_error: string | null;
}

export class LifecycleStore {
  constructor(readonly settings: LifecycleSettings) {}

  /** Folds `folds` (in order) and, for accounts that want them, `exhausted` deliveries; in `tx`. */
  async fold(tx: EntityManager, folds: LifecycleFold[], exhausted: AttemptRow[] = []): Promise<FoldResult> {
    const result: FoldResult = { transitions: [], disableDue: [] };
    const decided: EndpointLifecycleRecord[] = [];
    if (folds.length > 0) {
      const ids = [...new Set(folds.map((f) => f.webhookId))].sort();
      const rows = await tx.query<LifecycleRow[]>(
        `SELECT webhook_id, account_id, state, consecutive_failures, failing_since, last_status_code, last_error
         FROM endpoint_lifecycle WHERE webhook_id = ANY($1::uuid[]) ORDER BY webhook_id FOR UPDATE`,
        [ids],
      );
      const states = new Map<string, LifecycleState>(rows.map((r) => [r.webhook_id, stateOf(r)]));
      const changed = new Map<string, { accountId: number; at: Date }>();
      const due = new Map<string, string>();
      for (const { webhookId, accountId, input } of folds) {
        const before = states.get(webhookId) ?? HEALTHY;
        const step = reduceLifecycle(webhookId, before, input, this.settings);
        if (step.state !== before) {
          states.set(webhookId, step.state);
          changed.set(webhookId, { accountId, at: input.at });
        }
        decided.push(...step.transitions.map((t) => this.record(webhookId, accountId, t)));
        if (step.disableDue && step.state.failingSince)
          due.set(webhookId, automaticDisableReason(step.state.failingSince));
        else due.delete(webhookId);
      }
      await upsertStates(
        tx,
        [...changed].map(([id, c]) => ({ id, ...c, state: states.get(id)! })),
      );
      result.disableDue = [...due].map(([webhookId, reason]) => ({ webhookId, reason }));
      result.transitions = await insertTransitions(tx, decided);
    }
    await enqueueOperational(tx, result.transitions, exhausted);
    return result;
  }

  /** Failing endpoints whose warning or disable may be due at `now` (an index range, usually empty). */
  async dueForCheck(db: DataSource, now: Date): Promise<{ webhookId: string; accountId: number }[]> {
    const { disableAfterMs, disableWarningMs } = this.settings;
    const rows = await db.query<{ webhook_id: string; account_id: string }[]>(
      `SELECT webhook_id, account_id FROM endpoint_lifecycle
       WHERE state IN ('failing', 'disabling_soon') AND failing_since <= $1
       ORDER BY failing_since LIMIT 1000`,
      [new Date(now.getTime() - (disableAfterMs - disableWarningMs))],
    );
    return rows.map((r) => ({ webhookId: r.webhook_id, accountId: Number(r.account_id) }));
  }

  /** The lifecycle of each listed webhook that has one (the others are healthy). */
  async statuses(db: DataSource, ids: string[]): Promise<Map<string, LifecycleStatus>> {
    if (ids.length === 0) return new Map();
    const rows = await db.query<LifecycleRow[]>(
      `SELECT webhook_id, account_id, state, consecutive_failures, failing_since, last_status_code, last_error
       FROM endpoint_lifecycle WHERE webhook_id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(
      rows.map((r) => {
        const state = stateOf(r);
        return [r.webhook_id, { ...state, disableAt: disableAtOf(state, this.settings) }];
      }),
    );
  }

  private record(webhookId: string, accountId: number, t: LifecycleTransition): EndpointLifecycleRecord {
    return {
      kind: 'endpoint_lifecycle',
      transition_id: t.id,
      type: t.type,
      webhook_id: webhookId,
      account_id: accountId,
      state: t.state.state,
      failing_since: t.state.failingSince?.toISOString() ?? null,
      disable_at: t.disableAt?.toISOString() ?? null,
      consecutive_failures: t.state.consecutiveFailures,
      last_status_code: t.state.lastStatusCode,
      last_error: t.state.lastError,
      reason: t.reason,
      at: t.at.toISOString(),
    };
  }
}

/**
 * Publishes transitions not yet on the delivery topic, oldest first, and marks them. Rows are locked
 * while they are published, so two instances never publish the same one at once; one published
 * twice (a crash before the mark) is harmless: its id says it is the same transition.
 */
export async function publishPendingTransitions(
  db: DataSource,
  publish: (records: EndpointLifecycleRecord[]) => Promise<void>,
  batch = 500,
): Promise<number> {
  return db.transaction(async (tx) => {
    const rows = await tx.query<{ transition_id: string; record: EndpointLifecycleRecord }[]>(
      `SELECT transition_id, record FROM endpoint_lifecycle_transitions
       WHERE published_at IS NULL ORDER BY at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [batch],
    );
    if (rows.length === 0) return 0;
    await publish(rows.map((r) => r.record));
    await tx.query(
      `UPDATE endpoint_lifecycle_transitions SET published_at = now() WHERE transition_id = ANY($1::uuid[])`,
      [rows.map((r) => r.transition_id)],
    );
    return rows.length;
  });
}

function stateOf(r: LifecycleRow): LifecycleState {
  return {
    state: r.state,
    consecutiveFailures: r.consecutive_failures,
    failingSince: r.failing_since,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
  };
}

async function upsertStates(
  tx: EntityManager,
  rows: { id: string; accountId: number; at: Date; state: LifecycleState }[],
): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO endpoint_lifecycle AS l (webhook_id, account_id, state, consecutive_failures, failing_since,
       last_status_code, last_error, updated_at)
     SELECT webhook_id, account_id, state, consecutive_failures, failing_since, last_status_code, last_error, updated_at
     FROM json_to_recordset($1::json) AS r(webhook_id uuid, account_id bigint, state text, consecutive_failures int,
       failing_since timestamptz, last_status_code int, last_error text, updated_at timestamptz)
     ON CONFLICT (webhook_id) DO UPDATE SET state = EXCLUDED.state,
       consecutive_failures = EXCLUDED.consecutive_failures, failing_since = EXCLUDED.failing_since,
       last_status_code = EXCLUDED.last_status_code, last_error = EXCLUDED.last_error,
       updated_at = GREATEST(l.updated_at, EXCLUDED.updated_at)`,
    [
      JSON.stringify(
        rows.map(({ id, accountId, at, state }) => ({
          webhook_id: id,
          account_id: accountId,
          state: state.state,
          consecutive_failures: state.consecutiveFailures,
          failing_since: state.failingSince,
          last_status_code: state.lastStatusCode,
          last_error: state.lastError,
          updated_at: at,
        })),
      ),
    ],
  );
}

async function insertTransitions(
  tx: EntityManager,
  records: EndpointLifecycleRecord[],
): Promise<EndpointLifecycleRecord[]> {
  if (records.length === 0) return [];
  const inserted = await tx.query<{ transition_id: string }[]>(
    `INSERT INTO endpoint_lifecycle_transitions (transition_id, webhook_id, account_id, type, record, at)
     SELECT r.transition_id, r.webhook_id, r.account_id, r.type, r.record, r.at
     FROM json_to_recordset($1::json) AS r(transition_id uuid, webhook_id uuid, account_id bigint, type text,
       record jsonb, at timestamptz)
     ON CONFLICT (transition_id) DO NOTHING
     RETURNING transition_id`,
    [
      JSON.stringify(
        records.map((r) => ({
          transition_id: r.transition_id,
          webhook_id: r.webhook_id,
          account_id: r.account_id,
          type: r.type,
          record: r,
          at: r.at,
        })),
      ),
    ],
  );
  const fresh = new Set(inserted.map((r) => r.transition_id));
  return records.filter((r) => fresh.has(r.transition_id));
}

/** Operational webhooks for the accounts that registered an operations endpoint (the rest: nothing). */
async function enqueueOperational(
  tx: EntityManager,
  transitions: EndpointLifecycleRecord[],
  exhausted: AttemptRow[],
): Promise<void> {
  if (transitions.length === 0 && exhausted.length === 0) return;
  const ids = [...new Set([...transitions, ...exhausted].map((r) => r.webhook_id))];
  const urls = new Map(
    (
      await tx.query<{ id: string; url: string }[]>(
        `SELECT id, url FROM webhooks WHERE id = ANY($1::uuid[])`,
        [ids],
      )
    ).map((w) => [w.id, w.url]),
  );
  const now = new Date();
  const rows = [
    ...transitions.map((t) => ({
      id: t.transition_id,
      account_id: t.account_id,
      event: lifecycleEvent(t, urls.get(t.webhook_id) ?? null),
    })),
    ...exhausted.map((a) => ({
      id: hashToUuid(`vowchat-attempt-exhausted:${a.attempt_id}`),
      account_id: a.account_id,
      event: attemptExhaustedEvent(a, urls.get(a.webhook_id) ?? null),
    })),
  ].map(({ id, account_id, event }) => ({ id, account_id, type: event.type, body: JSON.stringify(event) }));
  await tx.query(
    `INSERT INTO operational_deliveries (id, account_id, type, body, due_at, created_at)
     SELECT r.id, r.account_id, r.type, r.body, $2, $2
     FROM json_to_recordset($1::json) AS r(id uuid, account_id bigint, type text, body text)
     WHERE EXISTS (SELECT 1 FROM operations_webhooks o WHERE o.account_id = r.account_id)
     ON CONFLICT (id) DO NOTHING`,
    [JSON.stringify(rows), now],
  );
}
