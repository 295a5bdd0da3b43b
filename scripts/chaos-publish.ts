// `npm run chaos:publish`: publishing under broker kills, many times over. Starts a disposable broker
// of its own (test/support/kafka-cluster.ts: free ports, a temp dir; the shared broker on 9092 is
// never touched), publishes with CHAOS_PUBLISHERS concurrent publishers while SIGKILLing and
// restarting it CHAOS_KILLS times, reads every record back and prints how many acknowledged events
// are not at the offset they were acknowledged with. Exits 1 when any is lost.
//
//   CHAOS_VIA=publisher  EventPublisher embedded in this process (default)
//   CHAOS_VIA=http       the producer API (in this process), single-event POSTs
//   CHAOS_VIA=dispatcher the dispatcher's BatchingProducer (acknowledges without an offset: an
//                        event counts as lost when it is on no offset at all)
import { EventPublisher, eventTopics, type VowChatEvent } from '@vowchat/events';
import { EnvReader, JsonLogger, ensureTopics } from '@vowchat/platform';
import { Kafka, logLevel } from 'kafkajs';
import { BatchingProducer } from '../apps/dispatcher/src/kafka/batching-producer';
import { startCluster } from '../test/support/kafka-cluster';
import { uniqueName } from '../test/support/names';
import { httpPublisher, runPublishChaos, type PublishOne } from '../test/support/publish-chaos';
import { startProducer, uniqueEventTopics } from '../test/support/producer-app';

const VIAS = ['publisher', 'http', 'dispatcher'] as const;
type Via = (typeof VIAS)[number];
// What createKafka (libs/platform) gives the apps' clients.
const RETRY = { initialRetryTime: 100, retries: 8 };

async function main(): Promise<void> {
  const r = new EnvReader(process.env);
  const kills = r.int('CHAOS_KILLS', 20, { min: 1, max: 1_000 });
  const publishers = r.int('CHAOS_PUBLISHERS', 48, { min: 1, max: 1_000 });
  const via = r.string('CHAOS_VIA', 'publisher') as Via;
  if (!VIAS.includes(via)) r.problem(`CHAOS_VIA must be one of ${VIAS.join(', ')}, got "${via}"`);
  r.done();

  const say = (line: string) => process.stdout.write(`[chaos] ${line}\n`);
  say(`starting a disposable broker; ${kills} kills under ${publishers} publishers via ${via}`);
  const cluster = await startCluster({ brokers: 1 });
  const topics = uniqueEventTopics();
  const kafka = new Kafka({
    clientId: uniqueName('chaos'),
    brokers: cluster.bootstrap,
    logLevel: logLevel.NOTHING,
  });
  await ensureTopics(
    kafka,
    eventTopics(topics).map((topic) => ({ topic, partitions: 6 })),
  );
  const closers: (() => Promise<unknown>)[] = [];
  try {
    const publish = await publishVia(via, cluster.bootstrap, topics, closers);
    const result = await cluster.showLogsOnFailure(() =>
      runPublishChaos({ cluster, kills, publishers, topics: eventTopics(topics), publish, log: say }),
    );
    say(
      `done in ${Math.round(result.seconds)} s: kills ${result.kills}, attempted ${result.attempted}, acknowledged ${result.acknowledged}, failed ${result.failed}`,
    );
    say(
      `records on the topics ${result.records}, duplicate records ${result.duplicateRecords}, acknowledged but absent ${result.absent}`,
    );
    for (const [message, count] of Object.entries(result.failures)) say(`  failure ×${count}: ${message}`);
    for (const l of result.lost.slice(0, 10))
      say(
        `  LOST ${l.eventId} acknowledged at ${l.topic}/${l.partition}@${l.offset}, which holds ${l.found}`,
      );
    say(`ACKNOWLEDGED BUT LOST: ${result.lost.length}`);
    process.exitCode = result.lost.length === 0 ? 0 : 1;
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await cluster.stop();
  }
}

async function publishVia(
  via: Via,
  brokers: string[],
  topics: ReturnType<typeof uniqueEventTopics>,
  closers: (() => Promise<unknown>)[],
): Promise<PublishOne> {
  const logger = new JsonLogger('chaos', 'error');
  switch (via) {
    case 'publisher': {
      const kafka = new Kafka({
        clientId: uniqueName('chaos-pub'),
        brokers,
        logLevel: logLevel.NOTHING,
        retry: RETRY,
      });
      const publisher = new EventPublisher(kafka, topics);
      await publisher.connect();
      closers.push(() => publisher.disconnect());
      return async (event: VowChatEvent) => {
        const p = await publisher.publish(event);
        return { eventId: p.eventId, topic: p.topic, partition: p.partition, offset: p.offset };
      };
    }
    case 'http': {
      const producer = await startProducer({
        logLevel: 'error',
        kafka: { brokers, clientId: uniqueName('chaos-producer'), topicPartitions: 6, replicationFactor: 1 },
        topics,
      });
      closers.push(() => producer.close());
      const http = httpPublisher(producer);
      closers.push(() => http.close());
      return http.publish;
    }
    case 'dispatcher': {
      const kafka = new Kafka({
        clientId: uniqueName('chaos-disp'),
        brokers,
        logLevel: logLevel.NOTHING,
        retry: RETRY,
      });
      const producer = new BatchingProducer(kafka, { topics: [topics.messages], log: logger });
      await producer.connect();
      closers.push(() => producer.disconnect());
      const { newEventId, toEventMessage } = await import('@vowchat/events');
      return async (event: VowChatEvent) => {
        const eventId = newEventId();
        await producer.send(topics.messages, toEventMessage(event, eventId));
        return { eventId, topic: topics.messages };
      };
    }
  }
}

main().then(
  // Exiting also ends whatever a client left reconnecting to the broker that is gone.
  () => process.exit(),
  (error: Error) => {
    process.stderr.write(`chaos failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  },
);
