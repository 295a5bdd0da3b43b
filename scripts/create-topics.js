// Creates the project's topics on the local broker (idempotent). Used by `npm run infra:up`;
// the apps also ensure their topics at boot.
const { Kafka, logLevel } = require('kafkajs');

const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
const env = process.env;
const partitions = Number(env.KAFKA_TOPIC_PARTITIONS || 6);
const topics = [
  [env.KAFKA_TOPIC_CONVERSATIONS || 'vowchat.conversations', {}],
  [env.KAFKA_TOPIC_MESSAGES || 'vowchat.messages', {}],
  [env.KAFKA_TOPIC_TYPING || 'vowchat.typing', {}],
  [env.KAFKA_TOPIC_DEAD_LETTER || 'vowchat.dead-letter', {}],
  [env.KAFKA_TOPIC_DELIVERIES || 'vowchat.webhook-deliveries', {}],
  [env.KAFKA_TOPIC_WEBHOOKS || 'vowchat.webhooks', { 'cleanup.policy': 'compact' }],
];

async function main() {
  const admin = new Kafka({ clientId: 'vowchat-infra', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter(([name]) => !existing.has(name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map(([topic, config]) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
        configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  await admin.disconnect();
  console.log(
    JSON.stringify({ component: 'infra', msg: 'topics ready', created: missing.map(([n]) => n), partitions }),
  );
}

main().catch((error) => {
  console.error(JSON.stringify({ component: 'infra', msg: 'could not create topics', error: error.message }));
  process.exit(1);
});
