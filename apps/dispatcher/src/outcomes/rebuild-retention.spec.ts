import { HistoryDeletedError, parseRebuildArgs, truncatedPartitions } from './rebuild-retention';

describe('truncatedPartitions', () => {
  it('is empty when every partition still starts at offset 0 (nothing deleted, empty or not)', () => {
    expect(
      truncatedPartitions([
        { partition: 0, low: 0n, high: 120n },
        { partition: 1, low: 0n, high: 0n },
      ]),
    ).toEqual([]);
  });

  it('names each partition whose first offset is past 0, in partition order', () => {
    expect(
      truncatedPartitions([
        { partition: 2, low: 45n, high: 90n },
        { partition: 0, low: 0n, high: 10n },
        { partition: 1, low: 7n, high: 7n },
      ]),
    ).toEqual([
      { partition: 1, low: 7n, high: 7n },
      { partition: 2, low: 45n, high: 90n },
    ]);
  });
});

describe('HistoryDeletedError', () => {
  const error = new HistoryDeletedError('vowchat.deliveries', [
    { partition: 1, low: 7n, high: 7n },
    { partition: 2, low: 45n, high: 90n },
  ]);

  it('names the topic, each partition with its first offset, and how many records are gone', () => {
    expect(error.message).toContain('"vowchat.deliveries"');
    expect(error.message).toContain('partition 1 starts at offset 7, partition 2 starts at offset 45');
    expect(error.message).toContain('(52 records deleted');
  });

  it('says the projection was left alone, and both ways forward', () => {
    expect(error.message).toContain('the projection was left as it is');
    expect(error.message).toContain('run again with --allow-partial');
    expect(error.message).toContain('raise the topic');
  });
});

describe('parseRebuildArgs', () => {
  it('refuses a partial rebuild unless asked', () => {
    expect(parseRebuildArgs([])).toEqual({ allowPartial: false });
    expect(parseRebuildArgs(['--allow-partial'])).toEqual({ allowPartial: true });
  });

  it('refuses an argument it does not know (a misspelt flag must not mean "no flag")', () => {
    expect(() => parseRebuildArgs(['--allow-parital'])).toThrow(
      'unknown argument "--allow-parital"; usage: projection:rebuild [--allow-partial]',
    );
  });
});
