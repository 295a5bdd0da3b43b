import { TopicCatchUp } from './topic-catch-up';

const settled = async (p: Promise<void>) =>
  Promise.race([p.then(() => true), new Promise<boolean>((resolve) => setImmediate(() => resolve(false)))]);

describe('TopicCatchUp', () => {
  it('is reached at once when no partition holds records', async () => {
    const catchUp = new TopicCatchUp([{ partition: 0, low: 5, high: 5 }]);
    expect(await settled(catchUp.reached)).toBe(true);
    expect(catchUp.behind).toEqual([]);
  });

  it('is reached once every partition with records is read up to its end at the start', async () => {
    const catchUp = new TopicCatchUp([
      { partition: 0, low: 0, high: 10 },
      { partition: 1, low: 3, high: 3 },
      { partition: 2, low: 2, high: 7 },
    ]);
    catchUp.batchRead(0, '4');
    catchUp.batchRead(2, '6');
    expect(catchUp.behind).toEqual([0]);
    expect(await settled(catchUp.reached)).toBe(false);
    catchUp.batchRead(0, '9');
    expect(await settled(catchUp.reached)).toBe(true);
    expect(catchUp.behind).toEqual([]);
  });

  it('counts a batch past the start end (records added since) as read to it', async () => {
    const catchUp = new TopicCatchUp([{ partition: 0, low: 0, high: 10 }]);
    catchUp.batchRead(0, '25');
    expect(await settled(catchUp.reached)).toBe(true);
  });
});
