// Issue 2 end to end, as users drive it: webhooks registered through the dispatcher's API, events
// in through the producer's HTTP API and through a plain Kafka client, a real receiver out.
import { EVENT_TYPES, exampleEvent, type EventType } from '@vowchat/events';
import type { Kafka, Producer } from 'kafkajs';
import { startReceiver, type Receiver } from './support/receiver';
import { startProducer, type RunningProducer } from './support/producer-app';
import {
  api,
  cleanUp,
  connectPublisher,
  createWebhook,
  dispatcherEnv,
  newSystemNames,
  startDispatcher,
  type Dispatcher,
  type SystemNames,
} from './support/system';
import { waitFor } from './support/wait-for';

const ACCOUNT = { id: 501, name: 'Acme' };
const OTHER_ACCOUNT = { id: 502, name: 'Other Co' };

describe('events flow from Kafka to the subscribed webhooks', () => {
  let names: SystemNames;
  let receiver: Receiver;
  let dispatcher: Dispatcher;
  let producer: RunningProducer;
  let kafka: Kafka;
  let plain: Producer;
  let disconnectPublisher: () => Promise<void>;

  beforeAll(async () => {
    names = newSystemNames();
    receiver = await startReceiver();
    const { kafka: k, publisher } = await connectPublisher(names);
    kafka = k;
    disconnectPublisher = () => publisher.disconnect();
    dispatcher = await startDispatcher(dispatcherEnv(names));
    producer = await startProducer({ topics: names.topics });
    plain = kafka.producer();
    await plain.connect();
  });

  afterAll(async () => {
    await plain?.disconnect();
    await producer?.close();
    await dispatcher?.stop();
    await disconnectPublisher?.();
    await receiver?.close();
    await cleanUp(names);
  });

  async function postEvent(accountId: number, event: unknown) {
    const response = await fetch(`${producer.url}/api/v1/accounts/${accountId}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', api_access_token: producer.token },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(202);
    return (await response.json()) as { event_id: string };
  }

  it('delivers each of the 8 event types, from the API and from a plain client, exactly to the webhooks subscribed to it', async () => {
    // One webhook per event type for ACCOUNT, one catch-all for ACCOUNT, and the other account
    // subscribed to everything (it must never see ACCOUNT's events).
    const perType = new Map<EventType, string>();
    for (const type of EVENT_TYPES) {
      const path = `/per-type/${type}`;
      await createWebhook(dispatcher.baseUrl, ACCOUNT.id, receiver.url(path), [type]);
      perType.set(type, path);
    }
    await createWebhook(dispatcher.baseUrl, ACCOUNT.id, receiver.url('/all'), EVENT_TYPES);
    await createWebhook(dispatcher.baseUrl, OTHER_ACCOUNT.id, receiver.url('/other-account'), EVENT_TYPES);

    const sent: { type: EventType; body: string; eventId?: string }[] = [];
    for (const type of EVENT_TYPES) {
      const event = exampleEvent(type, ACCOUNT);
      const { event_id } = await postEvent(ACCOUNT.id, event);
      sent.push({ type, body: JSON.stringify(event), eventId: event_id });
      // The same event from a plain Kafka client: no event-id header, the dispatcher derives one.
      const plainEvent = { ...event, marker: `plain-${type}` };
      await plain.send({
        topic: type.startsWith('message')
          ? names.topics.messages
          : type.startsWith('conversation_typing')
            ? names.topics.typing
            : names.topics.conversations,
        messages: [{ key: String(ACCOUNT.id), value: JSON.stringify(plainEvent) }],
      });
      sent.push({ type, body: JSON.stringify(plainEvent) });
    }

    await receiver.waitForRequests('/all', sent.length);
    for (const type of EVENT_TYPES) {
      const got = await receiver.waitForRequests(perType.get(type)!, 2);
      // Exactly the two events of this type, bodies byte-for-byte as published.
      expect(got.map((r) => r.body).sort()).toEqual(
        sent
          .filter((s) => s.type === type)
          .map((s) => s.body)
          .sort(),
      );
      for (const request of got) {
        expect(request.headers['content-type']).toBe('application/json');
        expect(request.headers['x-vowchat-event']).toBe(type);
        expect(request.headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    }
    const all = receiver.requests('/all');
    expect(all.map((r) => r.body).sort()).toEqual(sent.map((s) => s.body).sort());
    // API-published events carry the id the producer answered with; plain ones a derived, distinct id.
    for (const s of sent.filter((x) => x.eventId)) {
      expect(all.find((r) => r.body === s.body)?.headers['webhook-id']).toBe(s.eventId);
    }
    expect(new Set(all.map((r) => r.headers['webhook-id'])).size).toBe(sent.length);

    // Another account's event reaches only that account's webhook.
    const otherEvent = exampleEvent('message_created', OTHER_ACCOUNT);
    await postEvent(OTHER_ACCOUNT.id, otherEvent);
    const [other] = await receiver.waitForRequests('/other-account', 1);
    expect(JSON.parse(other.body)).toEqual(otherEvent);
    expect(receiver.requests('/all')).toHaveLength(sent.length);
    expect(receiver.requests('/other-account')).toHaveLength(1);
  });

  it('a webhook created or deleted takes effect for the next event, with no restart', async () => {
    const account = { id: 601, name: 'Live Changes' };
    const marker = (n: number) => ({ ...exampleEvent('message_created', account), content: `m${n}` });
    await postEvent(account.id, marker(1)); // nobody subscribed yet
    const hook = await createWebhook(dispatcher.baseUrl, account.id, receiver.url('/live'), [
      'message_created',
    ]);
    await postEvent(account.id, marker(2));
    const [first] = await receiver.waitForRequests('/live', 1);
    expect(JSON.parse(first.body).content).toBe('m2');

    const removed = await api(
      dispatcher.baseUrl,
      'DELETE',
      `/api/v1/accounts/${account.id}/webhooks/${hook.id}`,
    );
    expect({ status: removed.status, body: removed.body }).toEqual({ status: 200, body: undefined });
    await postEvent(account.id, marker(3));
    // A later webhook proves event 3 and 4 were consumed; the deleted one saw neither.
    await createWebhook(dispatcher.baseUrl, account.id, receiver.url('/live-after'), ['message_created']);
    await postEvent(account.id, marker(4));
    const [after] = await receiver.waitForRequests('/live-after', 1);
    expect(JSON.parse(after.body).content).toBe('m4');
    expect(
      receiver.requests('/live').map((r) => (JSON.parse(r.body) as { content: string }).content),
    ).toEqual(['m2']);
  });

  it('a malformed record goes to the dead-letter topic with its reason and origin, and the next good one is delivered', async () => {
    const account = { id: 701, name: 'Bad Input' };
    await createWebhook(dispatcher.baseUrl, account.id, receiver.url('/after-bad'), ['message_created']);
    const bad = await plain.send({
      topic: names.topics.messages,
      messages: [{ key: String(account.id), value: '{not json' }],
    });
    const invalid = await plain.send({
      topic: names.topics.messages,
      messages: [
        {
          key: String(account.id),
          value: JSON.stringify({ ...exampleEvent('message_created', account), sender: { id: 'x' } }),
        },
      ],
    });
    const good = exampleEvent('message_created', account);
    await plain.send({
      topic: names.topics.messages,
      messages: [{ key: String(account.id), value: JSON.stringify(good) }],
    });
    const [delivered] = await receiver.waitForRequests('/after-bad', 1);
    expect(JSON.parse(delivered.body)).toEqual(good);

    const letters = await readAll(kafka, names.topics.deadLetter, 2);
    const byOffset = new Map(letters.map((l) => [`${l.origin.partition}:${l.origin.offset}`, l]));
    const notJson = byOffset.get(`${bad[0].partition}:${bad[0].baseOffset}`);
    expect(notJson?.reason).toMatch(/^value is not JSON/);
    expect(notJson?.value).toBe('{not json');
    expect(notJson?.origin.topic).toBe(names.topics.messages);
    const notValid = byOffset.get(`${invalid[0].partition}:${invalid[0].baseOffset}`);
    expect(notValid?.reason).toContain('sender.id must be a positive integer');
  });
});

interface Letter {
  reason: string;
  value: string;
  origin: { topic: string; partition: number; offset: string };
}

async function readAll(kafka: Kafka, topic: string, atLeast: number): Promise<Letter[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` });
  const seen: Letter[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => void seen.push(JSON.parse(message.value!.toString()) as Letter),
  });
  try {
    await waitFor(`${atLeast} dead letters on ${topic}`, () => seen.length >= atLeast);
    return seen;
  } finally {
    await consumer.disconnect();
  }
}
