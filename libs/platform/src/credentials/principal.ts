// Who a request acts as, and the one rule that decides whether a route lets it through. Pure: the
// guard (api-token.guard.ts) resolves the principal and asks `decideAccess`.

/** The caller behind a token. */
export type Principal =
  /** The configured DISPATCHER_API_TOKEN / PRODUCER_API_TOKEN: every account and the operator views. */
  | { kind: 'operator' }
  /** An issued `vwc_acct_` token: its own account's routes only. */
  | { kind: 'account'; tokenId: string; accountId: number }
  /** An issued `vwc_svc_` token: publishes for any account at the producer, nothing else. */
  | { kind: 'service'; tokenId: string };

/**
 * What a route requires. `account`: the path's `:account_id` is the caller's account (or the caller
 * is the operator). `publish`: as `account`, and service tokens too. `operator`: the operator only.
 * `public`: no token at all (probes, metrics, the dashboard's static page).
 */
export type RouteAccess = 'account' | 'publish' | 'operator' | 'public';

/**
 * `allow`, or `not_found`: a principal that may not see the route is told it does not exist, in the
 * body an unknown resource gets, so nothing reveals whether another account or its webhooks exist.
 */
export function decideAccess(
  principal: Principal,
  access: RouteAccess,
  pathAccountId: string | undefined,
): 'allow' | 'not_found' {
  if (access === 'public' || principal.kind === 'operator') return 'allow';
  switch (access) {
    case 'operator':
      return 'not_found';
    case 'publish':
      if (principal.kind === 'service') return 'allow';
      return ownsAccount(principal, pathAccountId) ? 'allow' : 'not_found';
    case 'account':
      return ownsAccount(principal, pathAccountId) ? 'allow' : 'not_found';
  }
}

function ownsAccount(principal: Principal, pathAccountId: string | undefined): boolean {
  // The path's id exactly as the controllers parse it (no sign, no leading zero): "042" is no one's.
  return (
    principal.kind === 'account' &&
    pathAccountId !== undefined &&
    /^[1-9][0-9]{0,15}$/.test(pathAccountId) &&
    Number(pathAccountId) === principal.accountId
  );
}
