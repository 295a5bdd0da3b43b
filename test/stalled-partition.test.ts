// Readiness tells the truth about progress: a partition whose oldest record cannot become durable
// (here its retry cannot be written while Postgres is cut off behind a proxy the test controls) is
// named in /health/ready until it moves again. The shared Postgres is never stopped.
import { exampleEvent } from '@vowchat/events';
import { DATABASE_URL } from './support/infra';
import { startReceiver, type Receiver } from './support/receiver';
import {
  cleanUp,
  connectPublisher,
  createWebhook,
  dispatcherEnv,
  newSystemNames,
  startDispatcher,
  type Dispatcher,
  type SystemNames,
} from './support/system';
import { startPostgresProxy, type TcpProxy } from './support/tcp-proxy';
import { waitFor } from './support/wait-for';
import type { EventPublisher } from '@vowchat/events';

interface Readiness {
  status: string;
  error?: Record<string, { status: string; stalled?: { topic: string; partition: number }[] }>;
}

describe('readiness and a partition that cannot make progress', () => {
  let names: SystemNames;
  let proxy: TcpProxy;
  let dispatcher: Dispatcher;
  let receiver: Receiver;
  let publisher: EventPublisher;

  beforeAll(async () => {
    let proxiedUrl: string;
    ({ proxy, url: proxiedUrl } = await startPostgresProxy(DATABASE_URL));
    names = newSystemNames();
    receiver = await startReceiver();
    ({ publisher } = await connectPublisher(names));
    dispatcher = await startDispatcher(
      dispatcherEnv(names, { DATABASE_URL: proxiedUrl, DELIVERY_STALL_THRESHOLD_MS: '1500' }),
    );
  });

  afterAll(async () => {
    await proxy?.restore();
    await dispatcher?.stop();
    await proxy?.close();
    await publisher?.disconnect();
    await receiver?.close();
    if (names) await cleanUp(names);
  });

  it('names the stalled partition while its retry cannot be written, and is ready again once it moves', async () => {
    const ready = async () => {
      const response = await fetch(`${dispatcher.baseUrl}/health/ready`);
      return { status: response.status, body: (await response.json()) as Readiness };
    };
    const account = { id: 9301, name: 'Stall' };
    await createWebhook(dispatcher.baseUrl, account.id, receiver.url('/stall'), ['message_created']);
    receiver.behave('/stall', { kind: 'status', code: 500 });
    await waitFor('ready before the cut', async () => (await ready()).status === 200);

    await proxy.cut();
    const published = await publisher.publish(exampleEvent('message_created', account));
    await receiver.waitForRequests('/stall', 1);
    const stalled = await waitFor('readiness to name the stalled partition', async () => {
      const answer = await ready();
      return answer.body.error?.partitions ? answer : undefined;
    });
    expect(stalled.status).toBe(503);
    expect(stalled.body.error!.partitions.stalled).toEqual([
      expect.objectContaining({ topic: names.topics.messages, partition: published.partition }),
    ]);

    await proxy.restore();
    await waitFor('ready again once the retry is written', async () => (await ready()).status === 200);
    // And the retry that could not be written before is made now.
    await receiver.waitForRequests('/stall', 2);
  });
});
