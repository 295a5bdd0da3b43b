// The operator view's ranking across accounts: every endpoint with rows in the window, by the health
// score (endpoint-health.ts `healthScore`, unrounded), more failed attempts first on a tie, then id.
// Pure: the counts are summed by the repository, the breaker states looked up by the caller for
// the few candidates that can reach the top.

/** The two counts the score needs, summed over a window for one webhook. */
export interface RankCounts {
  accountId: number;
  attempts: number;
  delivered: number;
}

export interface RankedEndpoint {
  webhookId: string;
  accountId: number;
}

/** `a` and `b` added per webhook (the finished hours of a window and its current part). */
export function addRankCounts(
  a: ReadonlyMap<string, RankCounts>,
  b: ReadonlyMap<string, RankCounts>,
): Map<string, RankCounts> {
  const sum = new Map(a);
  for (const [id, c] of b) {
    const known = sum.get(id);
    sum.set(
      id,
      known
        ? {
            accountId: known.accountId,
            attempts: known.attempts + c.attempts,
            delivered: known.delivered + c.delivered,
          }
        : c,
    );
  }
  return sum;
}

/**
 * The webhooks that can be among the `limit` least healthy once open breakers halve their score:
 * those whose score, halved, is at most the limit-th lowest unhalved score. Any other webhook has
 * `limit` webhooks strictly below it whatever their breakers, so its breaker need not be read.
 */
export function breakerCandidates(counts: ReadonlyMap<string, RankCounts>, limit: number): string[] {
  const scored = [...counts].map(([id, c]) => ({ id, score: rawScore(c) }));
  if (scored.length <= limit) return scored.map((s) => s.id);
  const bound = scored.map((s) => s.score).sort((x, y) => x - y)[limit - 1];
  return scored.filter((s) => s.score / 2 <= bound).map((s) => s.id);
}

/** The `limit` least healthy of `candidates` (which must include every webhook that can rank). */
export function rankLeastHealthy(
  counts: ReadonlyMap<string, RankCounts>,
  candidates: readonly string[],
  openBreakers: ReadonlySet<string>,
  limit: number,
): RankedEndpoint[] {
  return candidates
    .flatMap((id) => {
      const c = counts.get(id);
      if (!c) return [];
      const score = rawScore(c) * (openBreakers.has(id) ? 0.5 : 1);
      return [{ id, c, score, failures: c.attempts - c.delivered }];
    })
    .sort((x, y) => x.score - y.score || y.failures - x.failures || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    .slice(0, limit)
    .map((r) => ({ webhookId: r.id, accountId: r.c.accountId }));
}

function rawScore(c: RankCounts): number {
  return (c.delivered + 1) / (c.attempts + 1);
}
