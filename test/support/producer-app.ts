// Starts the producer in-process on an ephemeral port, with its own topics, for integration tests.
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { JsonLogger } from '@vowchat/platform';
import { createProducerApp } from '../../apps/producer/src/app';
import type { EventTopicNames, ProducerConfig } from '../../apps/producer/src/config';
import { KAFKA_BROKERS } from './infra';
import { uniqueName } from './names';
import { expectKeepsContract, readAnswer } from './openapi-check';

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

export interface ProducerAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON when the answer is JSON, else the text. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON the API answered
  body: any;
}

/** Calls a producer's API and checks the answer against the producer's OpenAPI document. */
export async function callProducer(
  url: string,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<ProducerAnswer> {
  const response = await fetch(url + path, { method, headers: init.headers, body: init.body });
  const answer = await readAnswer(response);
  expectKeepsContract('producer', { method, path, status: response.status, ...answer });
  return { status: response.status, headers: response.headers, text: answer.text, body: answer.body };
}
