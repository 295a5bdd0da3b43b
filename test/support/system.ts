// The whole system for end-to-end tests, on the real broker and Postgres: a dispatcher (in-process,
// or as a child process that tests can SIGKILL), a typed publisher, and API helpers. Every system
// gets its own topics, consumer group and Postgres schema.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { testLogFile } from './log-capture.setup';
import { join } from 'node:path';
import packageJson from '../../package.json';
import type { INestApplication } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import {
  allTopics,
  EventPublisher,
  TOPIC_ENV_VARS,
  type DeliveryTopicRecord,
  type EventType,
  type TopicNames,
} from '@vowchat/events';
import { startReceiver, type Receiver } from './receiver';
import { ensureTopics, JsonLogger } from '@vowchat/platform';
import { createDispatcherApp } from '../../apps/dispatcher/src/app';
import { loadDispatcherConfig } from '../../apps/dispatcher/src/config';
import { DATABASE_URL, dropSchema, KAFKA_BROKERS, newSchemaName } from './infra';
import { uniqueName } from './names';
import { waitFor } from './wait-for';
import { expectKeepsContract, readAnswer } from './openapi-check';

export const API_TOKEN = 'test-dispatcher-token';
/** The key tests seal webhook secrets with (SECRET_ENCRYPTION_KEYS); test/secrets-at-rest.test.ts rotates it. */
export const TEST_SECRET_KEYS = 'test1:dm93Y2hhdC10ZXN0LWtleS1ub3QtZm9yLXByb2QtMDE=';

export interface SystemNames {
  prefix: string;
  topics: TopicNames;
  groupId: string;
  schema: string;
}

export function newSystemNames(): SystemNames {
  const prefix = uniqueName('it');
  const topics: TopicNames = {
    conversations: `${prefix}.conversations`,
    messages: `${prefix}.messages`,
    typing: `${prefix}.typing`,
    deadLetter: `${prefix}.dead-letter`,
    deliveries: `${prefix}.deliveries`,
    webhooks: `${prefix}.webhooks`,
    credentials: `${prefix}.credentials`,
  };
  return { prefix, topics, groupId: `${prefix}-dispatcher`, schema: newSchemaName() };
}

/** The environment a dispatcher of this system runs with: fast retries, short time limits. */
export function dispatcherEnv(
  names: SystemNames,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const topicVars = Object.fromEntries(
    (Object.keys(TOPIC_ENV_VARS) as (keyof TopicNames)[]).map((k) => [TOPIC_ENV_VARS[k], names.topics[k]]),
  );
  return {
    ...topicVars,
    KAFKA_BROKERS: KAFKA_BROKERS.join(','),
    KAFKA_GROUP_ID: names.groupId,
    KAFKA_TOPIC_PARTITIONS: '3',
    DATABASE_URL,
    DATABASE_SCHEMA: names.schema,
    DISPATCHER_API_TOKEN: API_TOKEN,
    SECRET_ENCRYPTION_KEYS: TEST_SECRET_KEYS,
    ALLOW_INSECURE_WEBHOOK_URLS: 'true',
    PORT: '0',
    LOG_LEVEL: 'warn',
    RETRY_SCHEDULE_MS: '200,400,800',
    RETRY_POLL_MS: '100',
    DELIVERY_TIMEOUT_MS: '5000',
    BREAKER_RESET_TIMEOUT_MS: '500',
    // Tests (and the benchmark) send bursts far past the production default of 50 requests/s per
    // endpoint; rate limits are tested where they are set (test/rate-limits.test.ts).
    DELIVERY_ENDPOINT_RATE_LIMIT: '100000',
    ...overrides,
  };
}

export interface Dispatcher {
  baseUrl: string;
  stop(): Promise<void>;
}

/** A dispatcher in this process (fast to start; use `spawnDispatcher` to kill one). */
export async function startDispatcher(
  env: Record<string, string>,
): Promise<Dispatcher & { app: INestApplication }> {
  const config = loadDispatcherConfig(env);
  const app = await createDispatcherApp(config, new JsonLogger('dispatcher', config.logLevel));
  await app.listen(0, '127.0.0.1');
  const address = (app.getHttpServer() as import('node:http').Server).address() as { port: number };
  return { app, baseUrl: `http://127.0.0.1:${address.port}`, stop: () => app.close() };
}

export interface SpawnedDispatcher extends Dispatcher {
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A dispatcher as a child process from the build in dist/ (scripts/test.sh builds it first). */
export async function spawnDispatcher(
  env: Record<string, string>,
  port: number,
  { logFile = testLogFile() }: { logFile?: string } = {},
): Promise<SpawnedDispatcher> {
  // The node command of package.json's start:dispatcher (flags included), without npm in between,
  // so a SIGKILL reaches the dispatcher itself.
  const [, ...args] = packageJson.scripts['start:dispatcher'].split(' ');
  const logFd = logFile ? openSync(logFile, 'a') : undefined;
  const child = spawn(process.execPath, args, {
    cwd: join(__dirname, '../..'),
    env: { ...process.env, ...env, PORT: String(port) },
    // Its log goes to a file when asked (a test reads it, or shows it when it fails), else nowhere.
    stdio: ['ignore', logFd ?? 'ignore', 'pipe'],
  });
  if (logFd !== undefined) closeSync(logFd); // the child holds its own copy
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    `dispatcher child on port ${port} to answer /health`,
    async () => {
      if (child.exitCode !== null) throw new Error(`dispatcher exited ${child.exitCode}: ${stderr}`);
      return (await fetch(`${baseUrl}/health`)).ok;
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  );
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };
  return { child, baseUrl, kill, stop: () => kill('SIGTERM') };
}

/** Calls the dispatcher's API with the test token; returns status and parsed JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON the API answered
export async function api<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { api_access_token: API_TOKEN, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await readAnswer(response);
  // Every answer is checked against the dispatcher's OpenAPI document.
  expectKeepsContract('dispatcher', { method, path, status: response.status, ...answer });
  return { status: response.status, body: (answer.text ? JSON.parse(answer.text) : undefined) as T };
}

export interface CreatedWebhook {
  id: string;
  account_id: number;
  url: string;
  subscriptions: EventType[];
  secret: string;
}

/** Registers a webhook through the API and fails the test with the API's message if it is refused. */
export async function createWebhook(
  baseUrl: string,
  accountId: number,
  url: string,
  subscriptions: readonly EventType[],
): Promise<CreatedWebhook> {
  const path = `/api/v1/accounts/${accountId}/webhooks`;
  const { status, body } = await api<{ payload: { webhook: CreatedWebhook } }>(baseUrl, 'POST', path, {
    url,
    subscriptions,
  });
  if (status !== 200) throw new Error(`webhook not created: ${status} ${JSON.stringify(body)}`);
  return body.payload.webhook;
}

/** A kafkajs client for tests (quiet logs). */
export function testKafka(clientId = 'vowchat-tests'): Kafka {
  return new Kafka({ clientId, brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING });
}

/** Creates the system's topics up front (3 partitions unless told) and returns a connected typed publisher. */
export async function connectPublisher(
  names: SystemNames,
  partitions = 3,
): Promise<{ kafka: Kafka; publisher: EventPublisher }> {
  const kafka = testKafka();
  await ensureTopics(kafka, [
    { topic: names.topics.conversations, partitions },
    { topic: names.topics.messages, partitions },
    { topic: names.topics.typing, partitions },
    { topic: names.topics.deadLetter, partitions },
    { topic: names.topics.deliveries, partitions },
    { topic: names.topics.webhooks, partitions, compacted: true },
  ]);
  const publisher = new EventPublisher(kafka, names.topics);
  await publisher.connect();
  return { kafka, publisher };
}

/** Drops the system's Postgres schema and deletes its topics. */
export async function cleanUp(names: SystemNames): Promise<void> {
  await dropSchemaAndTopics(names.schema, allTopics(names.topics));
}

/** Drops a test's schema and deletes its topics, so repeated runs don't pile up on the broker. */
export async function dropSchemaAndTopics(schema: string, topics: string[]): Promise<void> {
  await dropSchema(schema);
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const mine = new Set(topics);
    const existing = (await admin.listTopics()).filter((t) => mine.has(t));
    if (existing.length > 0) await admin.deleteTopics({ topics: existing });
  } catch {
    // Leftover topics only cost disk; their names are never reused.
  } finally {
    await admin.disconnect();
  }
}

/** Follows a topic from its beginning and keeps every parsed JSON value, for assertions. */
export async function tailTopic<T>(
  kafka: Kafka,
  topic: string,
): Promise<{ records: T[]; stop(): Promise<void> }> {
  const consumer = kafka.consumer({ groupId: uniqueName('tail'), maxWaitTimeInMs: 100 });
  const records: T[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => void records.push(JSON.parse(message.value!.toString()) as T),
  });
  return { records, stop: () => consumer.disconnect() };
}

/** A dispatcher in-process with its receiver, publisher and a tail of the delivery topic. */
export interface RunningSystem {
  names: SystemNames;
  receiver: Receiver;
  kafka: Kafka;
  publisher: EventPublisher;
  dispatcher: Dispatcher;
  outcomes: { records: DeliveryTopicRecord[]; stop(): Promise<void> };
  stop(): Promise<void>;
}

export async function startSystem(overrides: Record<string, string> = {}): Promise<RunningSystem> {
  const names = newSystemNames();
  const receiver = await startReceiver();
  const { kafka, publisher } = await connectPublisher(names);
  const dispatcher = await startDispatcher(dispatcherEnv(names, overrides));
  const outcomes = await tailTopic<DeliveryTopicRecord>(kafka, names.topics.deliveries);
  return {
    names,
    receiver,
    kafka,
    publisher,
    dispatcher,
    outcomes,
    stop: async () => {
      await outcomes.stop();
      await dispatcher.stop();
      await publisher.disconnect();
      await receiver.close();
      await cleanUp(names);
    },
  };
}
