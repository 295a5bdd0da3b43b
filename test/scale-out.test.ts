// More dispatcher instances in one consumer group share the partitions: each event is delivered
// once, and both instances do part of the work.
import { exampleEvent, type VowChatEvent } from '@vowchat/events';
import {
  createWebhook,
  dispatcherEnv,
  startDispatcher,
  startSystem,
  type Dispatcher,
  type RunningSystem,
} from './support/system';
import { waitFor } from './support/wait-for';

describe('two dispatcher instances in one group', () => {
  let system: RunningSystem;
  let second: Dispatcher;

  beforeAll(async () => {
    system = await startSystem();
    second = await startDispatcher(dispatcherEnv(system.names));
  });

  afterAll(async () => {
    await second?.stop();
    await system?.stop();
  });

  const consumed = async (d: Dispatcher) => {
    const text = await (await fetch(`${d.baseUrl}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('vowchat_events_consumed_total'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };

  it('split the partitions and deliver every event exactly once in steady state', async () => {
    const admin = system.kafka.admin();
    await admin.connect();
    try {
      await waitFor('both instances to be members of the group', async () => {
        const { groups } = await admin.describeGroups([system.names.groupId]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 2;
      });
    } finally {
      await admin.disconnect();
    }
    // 12 accounts spread over the 3 partitions of each topic.
    const accounts = Array.from({ length: 12 }, (_, i) => ({ id: 7000 + i, name: `Scale ${i}` }));
    for (const account of accounts) {
      await createWebhook(
        system.dispatcher.baseUrl,
        account.id,
        system.receiver.url(`/scale/${account.id}`),
        ['message_created'],
      );
    }
    // A webhook made through one instance is known to the other before events flow.
    await waitFor('the second instance to know every webhook', async () => {
      const health = (await (await fetch(`${second.baseUrl}/health`)).json()) as { webhooks: number };
      return health.webhooks === accounts.length;
    });
    const events: VowChatEvent[] = [];
    for (let i = 0; i < 240; i++)
      events.push({ ...exampleEvent('message_created', accounts[i % accounts.length]), content: `n${i}` });
    const published = await system.publisher.publishMany(events);
    const received = await waitFor('all 240 deliveries', () => {
      const requests = system.receiver.requests().filter((r) => r.path.startsWith('/scale/'));
      return requests.length >= 240 ? requests : undefined;
    });
    expect(received).toHaveLength(240);
    expect(new Set(received.map((r) => r.headers['webhook-id']))).toEqual(
      new Set(published.map((p) => p.eventId)),
    );
    expect(await consumed(system.dispatcher)).toBeGreaterThan(0);
    expect(await consumed(second)).toBeGreaterThan(0);
    expect((await consumed(system.dispatcher)) + (await consumed(second))).toBe(240);
  });
});
