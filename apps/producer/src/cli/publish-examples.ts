// Publishes the spec's example events, straight to Kafka or through the producer's HTTP API.
// Used by the demo and by tests; see USAGE in publish-examples-options.ts.
import { Kafka, logLevel } from 'kafkajs';
import { EventPublisher, exampleEvent, type EventType, type VowChatEvent } from '@vowchat/events';
import { ConfigError } from '@vowchat/platform';
import { isKafkaFailure, kafkaUnreachableMessage } from '../publishing/kafka-failure';
import {
  parsePublishExamplesArgs,
  USAGE,
  UsageError,
  type PublishExamplesOptions,
  type PublishTarget,
} from './publish-examples-options';

/** One published example, as printed (one JSON line each). */
export interface PublishedExample {
  event: EventType;
  event_id: string;
  topic: string;
  partition: number;
  offset: string;
}

/** A failure to report in one line, without a stack. */
export class PublishFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishFailure';
  }
}

/** Publishes the selected examples for the account; results are in the order of `options.events`. */
export async function publishExamples(options: PublishExamplesOptions): Promise<PublishedExample[]> {
  const events = options.events.map((type) => exampleEvent(type, options.account));
  const target = options.target;
  switch (target.kind) {
    case 'kafka':
      return publishToKafka(events, target);
    case 'http':
      return publishOverHttp(events, options.account.id, target);
  }
}

async function publishToKafka(
  events: VowChatEvent[],
  target: Extract<PublishTarget, { kind: 'kafka' }>,
): Promise<PublishedExample[]> {
  // Its own quiet client that gives up fast: a CLI should say "Kafka is down" in seconds, and
  // kafkajs's log lines would mix with the JSON lines on stdout.
  const kafka = new Kafka({
    clientId: 'vowchat-publish-examples',
    brokers: target.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { retries: 2 },
  });
  const publisher = new EventPublisher(kafka, target.topics);
  try {
    await publisher.connect();
  } catch (error) {
    throw new PublishFailure(kafkaUnreachableMessage(target.brokers, error));
  }
  try {
    const published = await publisher.publishMany(events);
    return published.map((p, i) => ({
      event: events[i].event,
      event_id: p.eventId,
      topic: p.topic,
      partition: p.partition,
      offset: p.offset,
    }));
  } catch (error) {
    if (!isKafkaFailure(error)) throw error;
    const topics = Object.values(target.topics).join(', ');
    throw new PublishFailure(
      `Kafka at ${target.brokers.join(',')} did not accept the events (${error.message}): check that the topics ${topics} exist (npm run infra:up creates them)`,
    );
  } finally {
    await publisher.disconnect();
  }
}

async function publishOverHttp(
  events: VowChatEvent[],
  accountId: number,
  target: Extract<PublishTarget, { kind: 'http' }>,
): Promise<PublishedExample[]> {
  const url = `${target.baseUrl}/api/v1/accounts/${accountId}/events/batch`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', api_access_token: target.token },
      body: JSON.stringify({ events }),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    throw new PublishFailure(
      `cannot reach the producer at ${target.baseUrl} (${cause?.message ?? (error as Error).message}): start it with npm run start:producer, or fix --via`,
    );
  }
  const text = await response.text();
  const body = parseJsonOrText(text);
  if (response.status !== 202) {
    const detail =
      isRecord(body) && typeof body.message === 'string'
        ? `${String(body.error)}: ${body.message}`
        : text.slice(0, 300);
    throw new PublishFailure(`the producer at ${target.baseUrl} answered ${response.status} (${detail})`);
  }
  const published =
    isRecord(body) && Array.isArray(body.events) ? (body.events as Omit<PublishedExample, 'event'>[]) : [];
  if (published.length !== events.length)
    throw new PublishFailure(
      `the producer at ${target.baseUrl} answered 202 without one result per event: ${text.slice(0, 300)}`,
    );
  return published.map((p, i) => ({
    event: events[i].event,
    event_id: p.event_id,
    topic: p.topic,
    partition: p.partition,
    offset: p.offset,
  }));
}

/** Where the CLI writes: stdout for JSON lines, stderr for the summary and errors. */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/** Runs the CLI and returns its exit code (0 on success, 1 on any failure). */
export async function runPublishExamples(
  argv: string[],
  env: Record<string, string | undefined>,
  io: CliOutput,
): Promise<number> {
  try {
    const options = parsePublishExamplesArgs(argv, env);
    if (options === 'help') {
      io.out(USAGE);
      return 0;
    }
    const published = await publishExamples(options);
    for (const p of published) io.out(JSON.stringify(p));
    const where =
      options.target.kind === 'kafka'
        ? `to Kafka at ${options.target.brokers.join(',')}`
        : `through the producer at ${options.target.baseUrl}`;
    io.err(
      `published ${published.length} example events for account ${options.account.id} (${JSON.stringify(options.account.name)}) ${where}`,
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof PublishFailure || error instanceof ConfigError) {
      io.err(`publish-examples: ${error.message}`);
      return 1;
    }
    io.err(
      `publish-examples failed unexpectedly: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  }
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

if (require.main === module) {
  const io: CliOutput = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
  void runPublishExamples(process.argv.slice(2), process.env, io).then((code) => {
    process.exitCode = code;
  });
}
