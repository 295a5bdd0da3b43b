// kafkajs's default partitioner (murmur2, as the Java client) hashes every keyed record's key
// through an emulated 64-bit integer: dozens of short-lived objects per key byte. Every outcome
// record is keyed by its webhook id, and a profile of the dispatcher put a tenth of all its
// allocations there. Keys repeat (one per webhook), so the partition of each (topic, key) is
// remembered for as long as the topic's partition count stays the same: the same mapping, hashed
// once per key.
import { Partitioners, type ICustomPartitioner, type PartitionerArgs } from 'kafkajs';

interface TopicPartitions {
  partitionCount: number;
  byKey: Map<string, number>;
}

/** The default partitioner, remembering up to `capacity` keys per topic (then it starts over). */
export function keyCachingPartitioner(capacity = 10_000): ICustomPartitioner {
  return () => {
    const defaultPartitioner = Partitioners.DefaultPartitioner();
    const topics = new Map<string, TopicPartitions>();
    return (args: PartitionerArgs) => {
      const { topic, partitionMetadata, message } = args;
      // An explicit partition, no key (round-robin) or a Buffer key (ours are strings): not remembered.
      if (message.partition != null || typeof message.key !== 'string') return defaultPartitioner(args);
      const key = message.key;
      let known = topics.get(topic);
      if (!known || known.partitionCount !== partitionMetadata.length) {
        known = { partitionCount: partitionMetadata.length, byKey: new Map() };
        topics.set(topic, known);
      }
      let partition = known.byKey.get(key);
      if (partition === undefined) {
        partition = defaultPartitioner(args);
        if (known.byKey.size >= capacity) known.byKey.clear();
        known.byKey.set(key, partition);
      }
      return partition;
    };
  };
}
