import { addRankCounts, breakerCandidates, rankLeastHealthy, type RankCounts } from './least-healthy';

const counts = (entries: [string, number, number][]): Map<string, RankCounts> =>
  new Map(entries.map(([id, attempts, delivered]) => [id, { accountId: 1, attempts, delivered }]));

describe('addRankCounts', () => {
  it('adds per webhook and keeps webhooks found on one side only', () => {
    const sum = addRankCounts(
      counts([
        ['a', 10, 9],
        ['b', 1, 1],
      ]),
      counts([
        ['a', 5, 0],
        ['c', 2, 2],
      ]),
    );
    expect([...sum]).toEqual([
      ['a', { accountId: 1, attempts: 15, delivered: 9 }],
      ['b', { accountId: 1, attempts: 1, delivered: 1 }],
      ['c', { accountId: 1, attempts: 2, delivered: 2 }],
    ]);
  });
});

describe('breakerCandidates', () => {
  it('keeps only webhooks whose halved score can reach the limit-th lowest score', () => {
    // scores: a 0.1, b 0.2, c 0.35, d 0.45, e 1
    const c = counts([
      ['a', 9, 0],
      ['b', 4, 0],
      ['c', 19, 6],
      ['d', 19, 8],
      ['e', 3, 3],
    ]);
    expect(breakerCandidates(c, 2).sort()).toEqual(['a', 'b', 'c']); // 0.45 / 2 > 0.2
    expect(breakerCandidates(c, 10).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('rankLeastHealthy', () => {
  const c = counts([
    ['a', 9, 0], // 0.1
    ['b', 4, 0], // 0.2
    ['c', 19, 6], // 0.35, open breaker: 0.175
    ['d', 0, 0], // 1
  ]);

  it('orders by score with open breakers halving it', () => {
    const ranked = rankLeastHealthy(c, breakerCandidates(c, 2), new Set(['c']), 2);
    expect(ranked.map((r) => r.webhookId)).toEqual(['a', 'c']);
  });

  it('breaks ties by more failed attempts, then by id', () => {
    const tied = counts([
      ['y', 1, 0],
      ['x', 1, 0],
      ['z', 3, 1],
    ]); // 0.5 each; z failed twice
    expect(rankLeastHealthy(tied, ['x', 'y', 'z'], new Set(), 3).map((r) => r.webhookId)).toEqual([
      'z',
      'x',
      'y',
    ]);
  });

  it('ranks the same as scoring every webhook', () => {
    const many = counts(
      Array.from(
        { length: 200 },
        (_, i) =>
          [`w${String(i).padStart(3, '0')}`, (i * 37) % 50, (i * 11) % 30] as [string, number, number],
      ).map(([id, a, d]) => [id, a, Math.min(a, d)] as [string, number, number]),
    );
    const open = new Set([...many.keys()].filter((_, i) => i % 7 === 0));
    for (const limit of [1, 5, 20, 200])
      expect(rankLeastHealthy(many, breakerCandidates(many, limit), open, limit)).toEqual(
        rankLeastHealthy(many, [...many.keys()], open, limit),
      );
  });
});
