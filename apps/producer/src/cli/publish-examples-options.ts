// Command-line options of the example-publishing CLI. Pure: argv and environment in, options out.
import { parseArgs } from 'node:util';
import { EVENT_TYPES, isEventType, type AccountRef, type EventType } from '@vowchat/events';
import { EnvReader, type Env } from '@vowchat/platform';
import { readBrokers, readEventTopics, type EventTopicNames } from '../config';

export type PublishTarget =
  | { kind: 'kafka'; brokers: string[]; topics: EventTopicNames }
  | { kind: 'http'; baseUrl: string; token: string };

export interface PublishExamplesOptions {
  account: AccountRef;
  events: EventType[];
  target: PublishTarget;
}

/** A mistake in the command line; the message says what to change. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Publishes the spec's example events (one of each of the 8 types, or those named).

Usage: publish-examples [--event name[,name...]] [--account-id N] [--account-name S]
                        [--via http://127.0.0.1:3000 [--token T]]

  --event         only these event types (repeatable or comma-separated); default all 8
  --account-id    the account the events belong to (default 11)
  --account-name  its name (default "My Company")
  --via           publish through the producer's HTTP API at this URL instead of straight to Kafka
  --token         the producer's API token for --via (default: $PRODUCER_API_TOKEN)

Straight to Kafka it uses KAFKA_BROKERS (default 127.0.0.1:9092) and the topic variables
KAFKA_TOPIC_CONVERSATIONS, KAFKA_TOPIC_MESSAGES, KAFKA_TOPIC_TYPING.
Prints one JSON line per published event on stdout and a summary on stderr.`;

/** Reads argv (without node and the script) and the environment; 'help' when --help was asked. */
export function parsePublishExamplesArgs(argv: string[], env: Env): PublishExamplesOptions | 'help' {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        event: { type: 'string', multiple: true },
        'account-id': { type: 'string' },
        'account-name': { type: 'string' },
        via: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; run with --help for the options`);
  }
  if (values.help) return 'help';
  return {
    account: {
      id: accountId(values['account-id'] as string | undefined),
      name: (values['account-name'] as string | undefined) ?? 'My Company',
    },
    events: eventTypes(values.event as string[] | undefined),
    target: target(values.via as string | undefined, values.token as string | undefined, env),
  };
}

function accountId(raw: string | undefined): number {
  if (raw === undefined) return 11;
  const id = Number(raw);
  if (!/^[1-9][0-9]*$/.test(raw) || !Number.isSafeInteger(id))
    throw new UsageError(`--account-id must be a positive integer, got "${raw}"`);
  return id;
}

function eventTypes(raw: string[] | undefined): EventType[] {
  if (raw === undefined) return [...EVENT_TYPES];
  const names = raw
    .flatMap((r) => r.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new UsageError('--event needs at least one event name');
  const unknown = names.find((name) => !isEventType(name));
  if (unknown !== undefined)
    throw new UsageError(`unknown event "${unknown}" in --event; choose from ${EVENT_TYPES.join(', ')}`);
  return [...new Set(names as EventType[])];
}

function target(via: string | undefined, token: string | undefined, env: Env): PublishTarget {
  if (via === undefined) {
    if (token !== undefined) throw new UsageError('--token is only used with --via');
    const r = new EnvReader(env);
    const result: PublishTarget = { kind: 'kafka', brokers: readBrokers(r), topics: readEventTopics(r) };
    r.done();
    return result;
  }
  let url: URL;
  try {
    url = new URL(via);
  } catch {
    throw new UsageError(`--via must be the producer's URL, such as http://127.0.0.1:3000, got "${via}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`--via must be an http:// or https:// URL, got "${via}"`);
  const apiToken = token ?? env.PRODUCER_API_TOKEN;
  if (apiToken === undefined || apiToken === '')
    throw new UsageError("--via needs the producer's API token: set PRODUCER_API_TOKEN or pass --token");
  return { kind: 'http', baseUrl: url.toString().replace(/\/+$/, ''), token: apiToken };
}
