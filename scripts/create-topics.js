// Creates the project's topics on the local broker (idempotent). Used by `npm run infra:up`;
// the apps also ensure their topics at boot. KAFKA_REPLICATION_FACTOR (default 1) sets the topics'
// replication factor; above 1 they also get min.insync.replicas = factor - 1 (3 → 2, as
// `infra.sh cluster up` creates them), so acks=all writes go on while one replica is down.
const { Kafka, logLevel } = require('kafkajs');

const brokers = (process.env.KAFKA_BROKERS || '127.0.0.1:9092').split(',');
const env = process.env;
const partitions = Number(env.KAFKA_TOPIC_PARTITIONS || 6);
const replicationFactor = Number(env.KAFKA_REPLICATION_FACTOR || 1);
if (!Number.isSafeInteger(replicationFactor) || replicationFactor < 1) {
  console.error(
    JSON.stringify({
      component: 'infra',
      msg: 'KAFKA_REPLICATION_FACTOR must be a positive integer',
      value: env.KAFKA_REPLICATION_FACTOR,
    }),
  );
  process.exit(1);
}
const replicationConfig =
  replicationFactor > 1 ? { 'min.insync.replicas': String(replicationFactor - 1) } : {};
const topics = [
  [env.KAFKA_TOPIC_CONVERSATIONS || 'vowchat.conversations', {}],
  [env.KAFKA_TOPIC_MESSAGES || 'vowchat.messages', {}],
  [env.KAFKA_TOPIC_TYPING || 'vowchat.typing', {}],
  [env.KAFKA_TOPIC_DEAD_LETTER || 'vowchat.dead-letter', {}],
  [env.KAFKA_TOPIC_DELIVERIES || 'vowchat.webhook-deliveries', {}],
  [env.KAFKA_TOPIC_WEBHOOKS || 'vowchat.webhooks', { 'cleanup.policy': 'compact' }],
  [env.KAFKA_TOPIC_CREDENTIALS || 'vowchat.credentials', { 'cleanup.policy': 'compact' }],
];

async function main() {
  const admin = new Kafka({ clientId: 'vowchat-infra', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  // Disconnect on failure too: a client left connected keeps this process alive after the retries.
  try {
    await createMissing(admin);
  } finally {
    await admin.disconnect();
  }
}

async function createMissing(admin) {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter(([name]) => !existing.has(name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map(([topic, config]) => ({
        topic,
        numPartitions: partitions,
        replicationFactor,
        configEntries: Object.entries({ ...config, ...replicationConfig }).map(([name, value]) => ({
          name,
          value,
        })),
      })),
    });
  }
  console.log(
    JSON.stringify({
      component: 'infra',
      msg: 'topics ready',
      created: missing.map(([n]) => n),
      partitions,
      replicationFactor,
    }),
  );
}

// A broker that has just started can answer "unknown topic" while it settles: try a few times.
async function withRetries(attempts) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await main();
    } catch (error) {
      if (attempt >= attempts) throw error;
      console.log(
        JSON.stringify({
          component: 'infra',
          msg: 'topic creation failed; retrying',
          attempt,
          error: error.message,
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
    }
  }
}

withRetries(5).catch((error) => {
  console.error(JSON.stringify({ component: 'infra', msg: 'could not create topics', error: error.message }));
  process.exit(1);
});
