// The producer's HTTP API and the example-publishing CLI against the real broker: what a client
// posts is read back from Kafka with a plain kafkajs consumer, byte for byte and where the API said.
import { createServer } from 'node:net';
import { ConfigResourceTypes, Kafka, logLevel, type Consumer } from 'kafkajs';
import { validate as isUuid, version as uuidVersion } from 'uuid';
import {
  EVENT_TYPES,
  allExampleEvents,
  eventTopics,
  exampleEvent,
  topicFor,
  type AccountRef,
  type VowChatEvent,
} from '@vowchat/events';
import { runPublishExamples, type PublishedExample } from '../apps/producer/src/cli/publish-examples';
import type { ErrorBody } from '../apps/producer/src/http/api-error';
import { ensureTopics } from '@vowchat/platform';
import { KAFKA_BROKERS } from './support/infra';
import { uniqueName } from './support/names';
import { callProducer, startProducer, uniqueEventTopics, type RunningProducer } from './support/producer-app';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

interface ReadRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | undefined;
  headers: Record<string, string>;
  value: string;
}

const MAX_BODY_BYTES = 16 * 1024;
let producer: RunningProducer;
let kafka: Kafka;
let consumer: Consumer;
const records: ReadRecord[] = [];

beforeAll(async () => {
  producer = await startProducer({ maxBodyBytes: MAX_BODY_BYTES, maxBatchEvents: 20 });
  kafka = new Kafka({
    clientId: uniqueName('producer-api-test'),
    brokers: KAFKA_BROKERS,
    logLevel: logLevel.NOTHING,
  });
  consumer = kafka.consumer({ groupId: uniqueName('producer-api-test') });
  await consumer.connect();
  await consumer.subscribe({ topics: eventTopics(producer.topics), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
      records.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString(),
        headers,
        value: message.value?.toString() ?? '',
      });
    },
  });
});

afterAll(async () => {
  await consumer?.disconnect();
  await producer?.close();
  const admin = kafka?.admin();
  if (admin && producer) {
    await admin.connect();
    await admin.deleteTopics({ topics: eventTopics(producer.topics) });
    await admin.disconnect();
  }
});

/** A fresh account per test, so its records (keyed by account id) are told apart from others'. */
function newAccount(): AccountRef {
  return { id: 100_000 + Math.floor(Math.random() * 1_000_000_000), name: uniqueName('account') };
}

interface Landed {
  event_id: string;
  topic: string;
  partition: number;
  offset: string;
}

/** Every field any answer may have; each test reads the ones its answer carries. */
type AnswerBody = Landed & ErrorBody & { events: Landed[] };

interface Answer {
  status: number;
  body: AnswerBody;
}

async function post(path: string, body: unknown, headers: Record<string, string> = auth()): Promise<Answer> {
  const answer = await callProducer(producer.url, 'POST', path, {
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: answer.status, body: answer.body as AnswerBody };
}

function auth(): Record<string, string> {
  return { api_access_token: producer.token };
}

function eventsPath(accountId: number | string, batch = false): string {
  return `/api/v1/accounts/${accountId}/events${batch ? '/batch' : ''}`;
}

function readBack(at: { topic: string; partition: number; offset: string }): Promise<ReadRecord> {
  return waitFor(`record ${at.topic}/${at.partition}@${at.offset}`, () =>
    records.find((r) => r.topic === at.topic && r.partition === at.partition && r.offset === at.offset),
  );
}

function expectRecordOf(record: ReadRecord, event: VowChatEvent, eventId: string): void {
  expect(record.key).toBe(String(event.account.id));
  expect(record.headers['vowchat-event-id']).toBe(eventId);
  expect(record.headers['vowchat-event-type']).toBe(event.event);
  expect(JSON.parse(record.value)).toEqual(event);
}

/**
 * Proves nothing of `account` reached Kafka: publishes one sentinel per topic for it and waits for
 * them. One key always maps to the same partition, read in order, so anything published earlier
 * for the account would have been read before its sentinel.
 */
async function expectNothingPublishedFor(account: AccountRef): Promise<void> {
  const sentinels = [
    exampleEvent('conversation_created', account),
    exampleEvent('message_created', account),
    exampleEvent('conversation_typing_off', account),
  ];
  const answer = await post(eventsPath(account.id, true), { events: sentinels });
  expect(answer.status).toBe(202);
  const ids = answer.body.events.map((e) => e.event_id);
  await Promise.all(answer.body.events.map(readBack));
  const ofAccount = records.filter((r) => r.key === String(account.id));
  expect(ofAccount.map((r) => r.headers['vowchat-event-id']).sort()).toEqual([...ids].sort());
}

describe('POST /api/v1/accounts/:account_id/events', () => {
  it.each(EVENT_TYPES)(
    'publishes a %s event where the answer says, keyed by account, with id and type headers',
    async (type) => {
      const account = newAccount();
      const event = exampleEvent(type, account);
      const answer = await post(eventsPath(account.id), event);

      expect(answer.status).toBe(202);
      expect(Object.keys(answer.body).sort()).toEqual(['event_id', 'offset', 'partition', 'topic']);
      expect(answer.body.topic).toBe(topicFor(type, producer.topics));
      expect(isUuid(answer.body.event_id) && uuidVersion(answer.body.event_id)).toBe(7);
      const record = await readBack(answer.body);
      expectRecordOf(record, event, answer.body.event_id);
    },
  );

  it('accepts the token as Authorization: Bearer', async () => {
    const account = newAccount();
    const event = exampleEvent('message_created', account);
    const answer = await post(eventsPath(account.id), event, { authorization: `Bearer ${producer.token}` });
    expect(answer.status).toBe(202);
    expectRecordOf(await readBack(answer.body), event, answer.body.event_id);
  });

  it('reads the body as JSON whatever Content-Type says', async () => {
    const account = newAccount();
    const event = exampleEvent('conversation_typing_on', account);
    const answer = await post(eventsPath(account.id), JSON.stringify(event), {
      ...auth(),
      'content-type': 'text/plain',
    });
    expect(answer.status).toBe(202);
    expectRecordOf(await readBack(answer.body), event, answer.body.event_id);
  });

  it.each([
    ['no token', {}, /^missing API token/],
    ['a wrong api_access_token', { api_access_token: 'wrong' }, /^invalid API token/],
    ['a wrong bearer token', { authorization: 'Bearer wrong' }, /^invalid API token/],
  ])('answers 401 to %s and publishes nothing', async (_name, headers, message) => {
    const account = newAccount();
    const answer = await post(eventsPath(account.id), exampleEvent('message_created', account), headers);
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      error: 'unauthorized',
      message: expect.stringMatching(message),
      problems: [],
    });
    await expectNothingPublishedFor(account);
  });

  it('answers 400 invalid_json to a body that is not JSON', async () => {
    const answer = await post(eventsPath(11), '{"event": "message_created",');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: 'invalid_json',
      message: expect.stringMatching(/^The request body is not valid JSON \(.+\)\.$/),
      problems: [],
    });
  });

  it('answers 400 to an account id that is not a positive integer', async () => {
    const answer = await post(eventsPath('abc'), exampleEvent('message_created'));
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: 'invalid_account_id',
      message: 'The account id in the path must be a positive integer, got "abc".',
      problems: [],
    });
  });

  it('answers 400 to a body that is not an object', async () => {
    const answer = await post(eventsPath(11), '"hello"');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_body');
  });

  it('answers 413 naming the limit to a body over MAX_BODY_BYTES', async () => {
    const account = newAccount();
    const event = { ...exampleEvent('message_created', account), content: 'x'.repeat(MAX_BODY_BYTES) };
    const answer = await post(eventsPath(account.id), event);
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({
      error: 'payload_too_large',
      message: `The request body is larger than the limit of ${MAX_BODY_BYTES} bytes; send fewer events per request.`,
      problems: [],
    });
    await expectNothingPublishedFor(account);
  });

  it('answers 422 with problems to an unknown event', async () => {
    const account = newAccount();
    const answer = await post(eventsPath(account.id), {
      ...exampleEvent('message_created', account),
      event: 'contact_created',
    });
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({
      error: 'unknown_event',
      message: expect.stringMatching(
        /^Unknown event: event is "contact_created"; must be one of conversation_created, /,
      ),
      problems: [
        { field: 'event', message: expect.stringMatching(/^is "contact_created"; must be one of /) },
      ],
    });
  });

  it('answers 422 with every bad field to an invalid event', async () => {
    const account = newAccount();
    const answer = await post(eventsPath(account.id), {
      ...exampleEvent('conversation_status_changed', account),
      status: 'closed',
      changed_at: '',
    });
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      error: 'invalid_event',
      problems: [
        { field: 'status', message: 'must be one of open, resolved, pending, snoozed' },
        { field: 'changed_at', message: 'must be a non-empty string' },
      ],
    });
  });

  it('answers 422 naming both ids when the path and the body disagree on the account, and publishes nothing', async () => {
    const account = newAccount();
    const answer = await post(eventsPath(account.id + 1), exampleEvent('message_created', account));
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({
      error: 'account_mismatch',
      message: `The path names account ${account.id + 1} but account.id in the body is ${account.id}; post the event to /api/v1/accounts/${account.id}/events or correct account.id.`,
      problems: [
        { field: 'account.id', message: `is ${account.id}, but the path names account ${account.id + 1}` },
      ],
    });
    await expectNothingPublishedFor(account);
  });
});

describe('hostile events', () => {
  it('answers 422 naming the field to an event with an array nested 4,109 deep, and publishes nothing', async () => {
    const account = newAccount();
    const event = JSON.stringify(exampleEvent('message_created', account));
    const body = `${event.slice(0, -1)},"extra":${'['.repeat(4_109)}${']'.repeat(4_109)}}`;
    const answer = await post(eventsPath(account.id), body);
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      error: 'invalid_event',
      problems: [{ field: `extra${'[0]'.repeat(63)}`, message: 'nests deeper than 64 levels; flatten it' }],
    });
    await expectNothingPublishedFor(account);
  });

  it('answers 400 to a body that is not valid UTF-8', async () => {
    const account = newAccount();
    const event = Buffer.from(JSON.stringify(exampleEvent('message_created', account)));
    const response = await fetch(producer.url + eventsPath(account.id), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: Buffer.concat([event.subarray(0, 40), Buffer.from([0xc3]), event.subarray(40)]),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'invalid_json',
      message: 'The request body is not valid UTF-8; send the JSON encoded as UTF-8.',
      problems: [],
    });
  });
});

describe("events near the broker's size limit (max.message.bytes)", () => {
  // The same topics, with a body limit above the broker's record limit (1,048,588 by default).
  let large: RunningProducer;
  beforeAll(async () => {
    large = await startProducer({ topics: producer.topics, maxBodyBytes: 4 * 1024 * 1024 });
  });
  afterAll(async () => {
    await large?.close();
  });

  async function postLarge(path: string, body: unknown): Promise<Answer> {
    const answer = await callProducer(large.url, 'POST', path, {
      headers: { 'content-type': 'application/json', api_access_token: large.token },
      body: JSON.stringify(body),
    });
    return { status: answer.status, body: answer.body as AnswerBody };
  }

  /** A message_created event whose JSON is exactly `bytes` long. */
  function eventOfBytes(account: AccountRef, bytes: number): VowChatEvent {
    const event = exampleEvent('message_created', account);
    const base = Buffer.byteLength(JSON.stringify({ ...event, content: '' }));
    return { ...event, content: 'x'.repeat(bytes - base) };
  }

  it('answers 413 naming the limit to an event of 1,048,425 bytes, never a 503 to retry, and publishes nothing', async () => {
    const account = newAccount();
    const answer = await postLarge(eventsPath(account.id), eventOfBytes(account, 1_048_425));
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({
      error: 'event_too_large',
      message: expect.stringMatching(
        /^The event takes \d+ bytes as a Kafka record, more than the limit of 1048076 bytes on topic .*max\.message\.bytes, 1048588/,
      ),
      problems: [{ field: '(root)', message: expect.stringMatching(/the limit is 1048076$/) }],
    });
    await expectNothingPublishedFor(account);
  });

  it('publishes an event just under the limit', async () => {
    const account = newAccount();
    const event = eventOfBytes(account, 1_047_800);
    const answer = await postLarge(eventsPath(account.id), event);
    expect(answer.status).toBe(202);
    expectRecordOf(await readBack(answer.body), event, answer.body.event_id);
  });

  it('splits a batch that together passes the limit into several produce requests; every event lands in order', async () => {
    const account = newAccount();
    const events = [
      eventOfBytes(account, 400_000),
      exampleEvent('conversation_typing_on', account),
      eventOfBytes(account, 400_000),
      eventOfBytes(account, 400_000),
      eventOfBytes(account, 300_000),
    ];
    const answer = await postLarge(eventsPath(account.id, true), { events });
    expect(answer.status).toBe(202);
    const landed = answer.body.events;
    expect(landed).toHaveLength(events.length);
    const read = await Promise.all(landed.map(readBack));
    events.forEach((event, i) => expectRecordOf(read[i], event, landed[i].event_id));
    // One account's messages share a partition, in the order sent.
    const messages = landed.filter((l) => l.topic === producer.topics.messages);
    expect(new Set(messages.map((l) => l.partition)).size).toBe(1);
    const offsets = messages.map((l) => BigInt(l.offset));
    offsets.forEach((offset, i) => i > 0 && expect(offset > offsets[i - 1]).toBe(true));
  });

  it('refuses a batch holding one event too large for its topic with 413 naming it, and publishes nothing', async () => {
    const account = newAccount();
    const events = [exampleEvent('message_created', account), eventOfBytes(account, 1_048_425)];
    const answer = await postLarge(eventsPath(account.id, true), { events });
    expect(answer.status).toBe(413);
    expect(answer.body.problems).toEqual([
      { field: 'events[1]', message: expect.stringMatching(/the limit is 1048076$/) },
    ]);
    await expectNothingPublishedFor(account);
  });
});

describe("a topic's own max.message.bytes, read from the broker at boot", () => {
  it('refuses an event over it with 413 and splits batches under it', async () => {
    const topics = uniqueEventTopics();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(
        kafka,
        eventTopics(topics).map((topic) => ({ topic, partitions: 1 })),
      );
      await admin.alterConfigs({
        validateOnly: false,
        resources: eventTopics(topics).map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configEntries: [{ name: 'max.message.bytes', value: '65536' }],
        })),
      });
      const small = await startProducer({ topics });
      try {
        const account = newAccount();
        const send = async (path: string, body: unknown) => {
          const response = await fetch(small.url + path, {
            method: 'POST',
            headers: { 'content-type': 'application/json', api_access_token: small.token },
            body: JSON.stringify(body),
          });
          return { status: response.status, body: (await response.json()) as AnswerBody };
        };
        const big = { ...exampleEvent('message_created', account), content: 'x'.repeat(70_000) };
        const refused = await send(eventsPath(account.id), big);
        expect(refused.status).toBe(413);
        expect(refused.body.message).toMatch(/limit of 65024 bytes .*max\.message\.bytes, 65536/);
        const part = { ...exampleEvent('message_created', account), content: 'x'.repeat(30_000) };
        const accepted = await send(eventsPath(account.id, true), { events: [part, part, part, part] });
        expect(accepted.status).toBe(202);
        expect(accepted.body.events.map((e) => Number(e.offset))).toEqual([0, 1, 2, 3]);
      } finally {
        await small.close();
      }
    } finally {
      await admin.deleteTopics({ topics: eventTopics(topics) }).catch(() => undefined);
      await admin.disconnect();
    }
  });
});

describe('POST /api/v1/accounts/:account_id/events/batch', () => {
  it('publishes events across the three topics and answers where each landed, in input order', async () => {
    const account = newAccount();
    const events = [...allExampleEvents(account), exampleEvent('message_created', account)];
    const answer = await post(eventsPath(account.id, true), { events });

    expect(answer.status).toBe(202);
    const landed = answer.body.events;
    expect(landed).toHaveLength(events.length);
    const read = await Promise.all(landed.map(readBack));
    events.forEach((event, i) => {
      expect(landed[i].topic).toBe(topicFor(event.event, producer.topics));
      expectRecordOf(read[i], event, landed[i].event_id);
    });
    expect(new Set(landed.map((l) => l.event_id)).size).toBe(events.length);
    // One account's events share a partition per topic and keep their order there.
    for (const topic of eventTopics(producer.topics)) {
      const inTopic = landed.filter((l) => l.topic === topic);
      expect(new Set(inTopic.map((l) => l.partition)).size).toBe(1);
      const offsets = inTopic.map((l) => BigInt(l.offset));
      offsets.forEach((offset, i) => i > 0 && expect(offset).toBe(offsets[i - 1] + 1n));
    }
  });

  it('refuses the whole batch with 422 when one event is bad, and publishes nothing', async () => {
    const account = newAccount();
    const events = [
      exampleEvent('message_created', account),
      { ...exampleEvent('conversation_created', account), id: -1 },
    ];
    const answer = await post(eventsPath(account.id, true), { events });
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({
      error: 'invalid_event',
      message: '1 of 2 events were refused, so none was published: events[1].id must be a positive integer.',
      problems: [{ field: 'events[1].id', message: 'must be a positive integer' }],
    });
    await expectNothingPublishedFor(account);
  });

  it('answers 400 to a body of the wrong shape and to too many events', async () => {
    const account = newAccount();
    const single = await post(eventsPath(account.id, true), exampleEvent('message_created', account));
    expect(single.status).toBe(400);
    expect(single.body.error).toBe('invalid_body');
    const tooMany = await post(eventsPath(account.id, true), {
      events: Array.from({ length: 21 }, () => exampleEvent('conversation_typing_on', account)),
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toEqual({
      error: 'too_many_events',
      message: 'The batch holds 21 events, more than the limit of 20; split it into several requests.',
      problems: [],
    });
  });
});

describe('GET /health', () => {
  it('answers 200 without a token', async () => {
    const response = await fetch(`${producer.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('publish-examples CLI', () => {
  function captured() {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  }

  function kafkaEnv(): Record<string, string> {
    return {
      KAFKA_BROKERS: KAFKA_BROKERS.join(','),
      KAFKA_TOPIC_CONVERSATIONS: producer.topics.conversations,
      KAFKA_TOPIC_MESSAGES: producer.topics.messages,
      KAFKA_TOPIC_TYPING: producer.topics.typing,
    };
  }

  async function expectPublished(lines: string[], account: AccountRef, types: readonly string[]) {
    const printed = lines.map((l) => JSON.parse(l) as PublishedExample);
    expect(printed.map((p) => p.event)).toEqual(types);
    for (const p of printed) {
      const record = await readBack(p);
      expect(p.topic).toBe(topicFor(p.event, producer.topics));
      expectRecordOf(record, exampleEvent(p.event, account), p.event_id);
    }
  }

  it('publishes all 8 examples straight to Kafka', async () => {
    const account = newAccount();
    const { out, err, io } = captured();
    const code = await runPublishExamples(
      ['--account-id', String(account.id), '--account-name', account.name],
      kafkaEnv(),
      io,
    );
    expect({ code, err }).toEqual({
      code: 0,
      err: [
        `published 8 example events for account ${account.id} ("${account.name}") to Kafka at ${KAFKA_BROKERS.join(',')}`,
      ],
    });
    await expectPublished(out, account, EVENT_TYPES);
  });

  it('publishes the named examples through the HTTP API', async () => {
    const account = newAccount();
    const { out, err, io } = captured();
    const code = await runPublishExamples(
      [
        '--event',
        'message_updated,webwidget_triggered',
        '--account-id',
        String(account.id),
        '--account-name',
        account.name,
        '--via',
        producer.url,
      ],
      { PRODUCER_API_TOKEN: producer.token },
      io,
    );
    expect({ code, err }).toEqual({
      code: 0,
      err: [
        `published 2 example events for account ${account.id} ("${account.name}") through the producer at ${producer.url}`,
      ],
    });
    await expectPublished(out, account, ['message_updated', 'webwidget_triggered']);
  });

  it('fails with the reason when the producer refuses the token', async () => {
    const { out, err, io } = captured();
    const code = await runPublishExamples(['--via', producer.url, '--token', 'wrong'], {}, io);
    expect({ code, out, err }).toEqual({
      code: 1,
      out: [],
      err: [
        `publish-examples: the producer at ${producer.url} answered 401 (unauthorized: invalid API token.)`,
      ],
    });
  });

  it('fails clearly when nothing listens at --via', async () => {
    const port = await closedPort();
    const { err, io } = captured();
    const code = await runPublishExamples(['--via', `http://127.0.0.1:${port}`, '--token', 't'], {}, io);
    expect(code).toBe(1);
    expect(err).toEqual([
      expect.stringMatching(
        new RegExp(
          `^publish-examples: cannot reach the producer at http://127.0.0.1:${port} \\(.*ECONNREFUSED.*\\): start it with npm run start:producer`,
        ),
      ),
    ]);
  });

  it('fails clearly when Kafka cannot be reached', async () => {
    const port = await closedPort();
    const { err, io } = captured();
    const code = await runPublishExamples([], { ...kafkaEnv(), KAFKA_BROKERS: `127.0.0.1:${port}` }, io);
    expect(code).toBe(1);
    expect(err).toEqual([
      expect.stringMatching(
        new RegExp(
          `^publish-examples: cannot reach Kafka at 127.0.0.1:${port} \\(.+\\): run npm run infra:up`,
        ),
      ),
    ]);
  });
});

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
