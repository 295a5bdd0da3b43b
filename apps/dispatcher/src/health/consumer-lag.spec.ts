import { lagFromOffsets } from './consumer-lag';

describe('lagFromOffsets', () => {
  it('is the distance from the committed offset to the end, per partition', () => {
    expect(
      lagFromOffsets(
        't',
        [
          { partition: 1, high: '50', low: '0' },
          { partition: 0, high: '10', low: '0' },
        ],
        [
          { partition: 0, offset: '10' },
          { partition: 1, offset: '42' },
        ],
      ),
    ).toEqual([
      { topic: 't', partition: 0, lagRecords: 0, lagSeconds: null },
      { topic: 't', partition: 1, lagRecords: 8, lagSeconds: null },
    ]);
  });

  it('counts everything retained for a partition never committed', () => {
    expect(
      lagFromOffsets('t', [{ partition: 0, high: '30', low: '5' }], [{ partition: 0, offset: '-1' }]),
    ).toEqual([{ topic: 't', partition: 0, lagRecords: 25, lagSeconds: null }]);
  });

  it('starts from the oldest retained record when the commit was deleted by retention', () => {
    expect(
      lagFromOffsets('t', [{ partition: 0, high: '30', low: '20' }], [{ partition: 0, offset: '3' }])[0]
        .lagRecords,
    ).toBe(10);
  });
});
