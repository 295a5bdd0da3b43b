// Starts the producer in-process on an ephemeral port, with its own topics, for integration tests.
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { JsonLogger } from '@vowchat/platform';
import { createProducerApp } from '../../apps/producer/src/app';
import type { EventTopicNames, ProducerConfig } from '../../apps/producer/src/config';
import { KAFKA_BROKERS } from './infra';
import { uniqueName } from './names';

export interface RunningProducer {
  app: INestApplication;
  config: ProducerConfig;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  token: string;
  topics: EventTopicNames;
  close(): Promise<void>;
}

/** Unique names for the three event topics, so tests never share records. */
export function uniqueEventTopics(): EventTopicNames {
  return {
    conversations: uniqueName('conversations'),
    messages: uniqueName('messages'),
    typing: uniqueName('typing'),
  };
}

/** A producer listening on 127.0.0.1:<ephemeral> with unique topics (override anything). */
export async function startProducer(overrides: Partial<ProducerConfig> = {}): Promise<RunningProducer> {
  const config: ProducerConfig = {
    port: 0,
    apiToken: uniqueName('token'),
    logLevel: 'error',
    kafka: {
      brokers: KAFKA_BROKERS,
      clientId: uniqueName('producer'),
      topicPartitions: 3,
      replicationFactor: 1,
    },
    topics: uniqueEventTopics(),
    credentialsTopic: uniqueName('credentials'),
    maxBodyBytes: 1024 * 1024,
    maxBatchEvents: 500,
    maxEventBytes: null,
    maxEventDepth: 64,
    publishing: {
      timeoutMs: 5_000,
      lingerMs: 0,
      maxQueuedBytes: 64 * 1024 * 1024,
      maxQueuedRequests: 10_000,
    },
    ...overrides,
  };
  const app = await createProducerApp(config, new JsonLogger('producer', config.logLevel));
  await app.listen(config.port, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    config,
    url: `http://127.0.0.1:${port}`,
    token: config.apiToken,
    topics: config.topics,
    close: () => app.close(),
  };
}
