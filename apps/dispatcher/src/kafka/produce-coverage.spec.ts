import type { Message, PartitionerArgs } from 'kafkajs';
import { recordingPartitioner, unacknowledged } from './produce-coverage';

function partitionerArgs(message: Message): PartitionerArgs {
  return {
    topic: 'deliveries',
    partitionMetadata: [0, 1, 2].map((partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    })),
    message,
  };
}

describe('unacknowledged', () => {
  const answer = [
    { topicName: 'deliveries', partition: 0, errorCode: 0 },
    { topicName: 'dead-letter', partition: 1, errorCode: 0 },
  ];

  it('is empty when the answer names the partition of every record', () => {
    const sent = [
      { topic: 'deliveries', partition: 0 },
      { topic: 'dead-letter', partition: 1 },
      { topic: 'deliveries', partition: 0 },
    ];
    expect(unacknowledged(sent, answer)).toEqual([]);
  });

  it('names the records of a partition the answer leaves out, and only those', () => {
    const sent = [
      { topic: 'deliveries', partition: 0 },
      { topic: 'deliveries', partition: 2 },
      { topic: 'dead-letter', partition: 1 },
      { topic: 'deliveries', partition: 2 },
    ];
    expect(unacknowledged(sent, answer)).toEqual([1, 3]);
  });

  it('tells topics apart: the same partition number of another topic does not count', () => {
    expect(unacknowledged([{ topic: 'deliveries', partition: 1 }], answer)).toEqual([0]);
  });

  it('counts a record kafkajs never placed, or a partition answered with an error, as not acknowledged', () => {
    const sent = [
      { topic: 'deliveries', partition: undefined },
      { topic: 'deliveries', partition: 3 },
    ];
    expect(
      unacknowledged(sent, [...answer, { topicName: 'deliveries', partition: 3, errorCode: 6 }]),
    ).toEqual([0, 1]);
  });
});

describe('recordingPartitioner', () => {
  it("answers what the inner partitioner answers and remembers each message's latest partition", () => {
    let next = 2;
    const chosen = new WeakMap<Message, number>();
    const partitioner = recordingPartitioner(() => () => next, chosen)();
    const a: Message = { key: 'a', value: 'x' };
    const b: Message = { key: 'b', value: 'y' };
    expect(partitioner(partitionerArgs(a))).toBe(2);
    expect(chosen.get(a)).toBe(2);
    expect(chosen.get(b)).toBeUndefined();
    next = 0; // a retry partitions again (after a partition count change, possibly elsewhere)
    expect(partitioner(partitionerArgs(a))).toBe(0);
    expect(chosen.get(a)).toBe(0);
  });
});
