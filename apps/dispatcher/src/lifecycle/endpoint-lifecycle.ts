// The endpoint health lifecycle, as Svix and Stripe run it: `failing` after N consecutive failed
// attempts, `recovered` (back to healthy) on the next success, warned before an automatic disable,
// disabled after a period of continuous failure. Pure: state + input → state + transitions; the
// store (lifecycle.store.ts) locks, folds and writes, the monitor supplies the clock's ticks.
import { hashToUuid, type EndpointLifecycleState, type LifecycleTransitionType } from '@vowchat/events';

export interface LifecycleSettings {
  failingAfterAttempts: number;
  disableAfterMs: number;
  disableWarningMs: number;
}

export interface LifecycleState {
  state: EndpointLifecycleState;
  /** Failed attempts since the last success (or re-enable). */
  consecutiveFailures: number;
  /** The first failed attempt of that run: the failing period is counted from here. */
  failingSince: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
}

export const HEALTHY: LifecycleState = {
  state: 'healthy',
  consecutiveFailures: 0,
  failingSince: null,
  lastStatusCode: null,
  lastError: null,
};

/** What the lifecycle folds: attempts and enable/disable (from the delivery topic), and clock ticks. */
export type LifecycleInput =
  | { kind: 'attempt'; at: Date; delivered: boolean; statusCode: number | null; error: string | null }
  | { kind: 'enabled'; at: Date }
  | { kind: 'disabled'; at: Date; reason: string }
  /** The monitor's periodic look at a failing endpoint: is a warning or the disable due? */
  | { kind: 'check'; at: Date };

export interface LifecycleTransition {
  /** Derived from webhook, type and failing episode: the same transition decided twice has one id. */
  id: string;
  type: LifecycleTransitionType;
  at: Date;
  /** The state after the transition. */
  state: LifecycleState;
  disableAt: Date | null;
  reason: string | null;
}

export interface LifecycleStep {
  state: LifecycleState;
  transitions: LifecycleTransition[];
  /**
   * The disable is due: the caller disables the webhook through the domain operation, whose
   * webhook_state record then comes back as a `disabled` input (and the endpoint.disabled
   * transition). The state does not change before that, so a disable that fails is asked again.
   */
  disableDue: boolean;
}

/** The reason an automatic disable records on the webhook (and the lifecycle recognises). */
export const AUTOMATIC_DISABLE_REASON = 'disabled automatically: every attempt failed';

export function automaticDisableReason(failingSince: Date): string {
  return `${AUTOMATIC_DISABLE_REASON} since ${failingSince.toISOString()}`;
}

/** When a failing endpoint is disabled; null when it is not failing. */
export function disableAtOf(state: LifecycleState, settings: LifecycleSettings): Date | null {
  if ((state.state !== 'failing' && state.state !== 'disabling_soon') || state.failingSince === null)
    return null;
  return new Date(state.failingSince.getTime() + settings.disableAfterMs);
}

/** Folds one input into one webhook's lifecycle. */
export function reduceLifecycle(
  webhookId: string,
  current: LifecycleState,
  input: LifecycleInput,
  settings: LifecycleSettings,
): LifecycleStep {
  const transitions: LifecycleTransition[] = [];
  const emit = (type: LifecycleTransitionType, state: LifecycleState, at: Date, reason: string | null) =>
    transitions.push({
      // The episode (its failing_since) keys failing/recovered/warning; a disable is keyed by its time.
      id: hashToUuid(
        `vowchat-lifecycle:${webhookId}:${type}:${
          type === 'endpoint.disabled' ? at.toISOString() : (current.failingSince ?? at).toISOString()
        }`,
      ),
      type,
      at,
      state,
      disableAt: disableAtOf(state, settings),
      reason,
    });
  switch (input.kind) {
    case 'attempt': {
      // An attempt that was in flight when the webhook was disabled changes nothing.
      if (current.state === 'disabled') return { state: current, transitions, disableDue: false };
      if (input.delivered) {
        if (current.state === 'healthy' && current.consecutiveFailures === 0)
          return { state: current, transitions, disableDue: false };
        const next = { ...HEALTHY };
        if (current.state !== 'healthy') emit('endpoint.recovered', next, input.at, null);
        return { state: next, transitions, disableDue: false };
      }
      let next: LifecycleState = {
        ...current,
        consecutiveFailures: current.consecutiveFailures + 1,
        failingSince: current.failingSince ?? input.at,
        lastStatusCode: input.statusCode,
        lastError: input.error,
      };
      if (next.state === 'healthy' && next.consecutiveFailures >= settings.failingAfterAttempts) {
        next = { ...next, state: 'failing' };
        emit('endpoint.failing', next, input.at, null);
      }
      return checkPeriods(next, input.at, settings, transitions, emit);
    }
    case 'check':
      return checkPeriods(current, input.at, settings, transitions, emit);
    case 'enabled':
      // Re-enabled: a fresh start (the failures before the disable no longer count).
      return { state: { ...HEALTHY }, transitions, disableDue: false };
    case 'disabled': {
      if (current.state === 'disabled') return { state: current, transitions, disableDue: false };
      const next: LifecycleState = { ...current, state: 'disabled' };
      emit('endpoint.disabled', next, input.at, input.reason);
      return { state: next, transitions, disableDue: false };
    }
    default: {
      const unknown: never = input;
      throw new Error(`unhandled lifecycle input ${JSON.stringify(unknown)}`);
    }
  }
}

// Only a failing endpoint is warned and disabled: a few failures below the threshold are not an outage.
function checkPeriods(
  state: LifecycleState,
  at: Date,
  settings: LifecycleSettings,
  transitions: LifecycleTransition[],
  emit: (type: LifecycleTransitionType, state: LifecycleState, at: Date, reason: string | null) => void,
): LifecycleStep {
  const disableAt = disableAtOf(state, settings);
  if (disableAt === null) return { state, transitions, disableDue: false };
  let next = state;
  // A check that comes late (a long interval, a restart) still warns before it disables.
  if (state.state === 'failing' && at.getTime() >= disableAt.getTime() - settings.disableWarningMs) {
    next = { ...state, state: 'disabling_soon' };
    emit('endpoint.disabling_soon', next, at, null);
  }
  return { state: next, transitions, disableDue: at.getTime() >= disableAt.getTime() };
}
