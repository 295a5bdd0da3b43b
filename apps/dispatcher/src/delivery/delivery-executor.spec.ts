import { JsonLogger, SampledLog } from '@vowchat/platform';
import { EndpointBreakers } from '../circuit/endpoint-breakers';
import { DispatcherMetrics } from '../metrics/dispatcher-metrics';
import type { WebhookTarget } from '../registry/webhook-target';
import { DeliveryExecutor } from './delivery-executor';
import type { DeliveryJob } from './delivery-job';
import type { SendResult } from './webhook-sender';

/** A logger that keeps its lines to itself: the spec asserts behaviour, the test output stays clean. */
class SilentLogger extends JsonLogger {
  override write(): void {}
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Whether `promise` has settled once pending callbacks (and a macrotask) have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

const target: WebhookTarget = {
  id: 'w1',
  accountId: 7,
  url: 'https://receiver.example/hook',
  subscriptions: new Set(['message_created']),
  secrets: ['whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0'],
  rateLimitPerSecond: null,
};

function job(n: number, overrides: Partial<DeliveryJob> = {}): DeliveryJob {
  return {
    deliveryId: `d${n}`,
    eventId: `e${n}`,
    eventType: 'message_created',
    accountId: 7,
    webhookId: 'w1',
    body: '{"n":1}',
    attempt: 1,
    source: 'stream',
    publishedAt: null,
    routedAt: null,
    ...overrides,
  };
}

const answer = (statusCode: number): SendResult => ({
  statusCode,
  durationMs: 3,
  responseBody: '',
  retryAfter: null,
  failure: null,
});

function executorWith({
  status = 503,
  schedule = async () => undefined,
  record = async () => undefined,
  registered = true,
}: {
  status?: number;
  schedule?: () => Promise<void>;
  record?: () => Promise<void>;
  registered?: boolean;
} = {}) {
  const breakers = new EndpointBreakers(
    { errorThresholdPercentage: 50, windowMs: 10_000, volumeThreshold: 4, resetTimeoutMs: 60_000 },
    () => undefined,
  );
  const sent: string[] = [];
  const recorded: { kind: string }[] = [];
  const deps = {
    registry: { get: (id: string) => (registered && id === target.id ? target : undefined) },
    sender: {
      send: async (request: { body: string }) => {
        sent.push(request.body);
        return answer(status);
      },
    },
    breakers,
    retries: { schedule: jest.fn(schedule), complete: jest.fn(async (): Promise<void> => undefined) },
    recorder: {
      record: jest.fn(async (r: { kind: string }) => {
        recorded.push(r);
        await record();
      }),
    },
    disableGone: jest.fn(async () => undefined),
    clock: { now: () => new Date() },
    random: () => 0.5,
    settings: { retryScheduleMs: [1_000, 2_000], retryAfterCapMs: 60_000 },
    metrics: new DispatcherMetrics({ defaultMetrics: false }),
    log: new SilentLogger('test'),
    durableLog: new SampledLog(new SilentLogger('test')),
  };
  return { executor: new DeliveryExecutor(deps), deps, sent, recorded, breakers };
}

describe('DeliveryExecutor.attempt', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('resolves once the request is over; its retry is durable only once the retry store has it', async () => {
    const store = gate();
    const { executor, deps, sent, breakers } = executorWith({ schedule: () => store.opened });
    close = () => breakers.close();
    const { durable } = await executor.attempt(job(1));
    expect(sent).toHaveLength(1);
    expect(deps.recorder.record).toHaveBeenCalledTimes(1);
    expect(deps.retries.schedule).toHaveBeenCalledWith(
      expect.objectContaining({ deliveryId: 'd1', attempt: 2, source: 'retry' }),
      expect.any(Date),
    );
    expect(await settled(durable)).toBe(false);
    store.open();
    expect(await settled(durable)).toBe(true);
  });

  it('defers at once while the breaker is open; the deferral is durable only once the retry store has it', async () => {
    const store = gate();
    const { executor, deps, sent, recorded, breakers } = executorWith({ schedule: () => store.opened });
    close = () => breakers.close();
    const failures = [];
    for (let n = 1; n <= 4; n++) failures.push((await executor.attempt(job(n))).durable);
    expect(breakers.state('w1')).toBe('open');
    const { durable } = await executor.attempt(job(5));
    expect(sent).toHaveLength(4);
    expect(recorded.at(-1)).toMatchObject({ kind: 'deferral', delivery_id: 'd5', reason: 'breaker_open' });
    expect(deps.retries.schedule).toHaveBeenLastCalledWith(
      expect.objectContaining({ deliveryId: 'd5', attempt: 1 }),
      expect.any(Date),
    );
    expect(await settled(durable)).toBe(false);
    expect(await settled(Promise.race(failures))).toBe(false);
    store.open();
    await Promise.all([durable, ...failures]);
  });

  it('retries a failed retry-store write without writing the attempt record again', async () => {
    let calls = 0;
    const { executor, deps, breakers } = executorWith({
      schedule: async () => {
        if (++calls === 1) throw new Error('connection refused');
      },
    });
    close = () => breakers.close();
    const { durable } = await executor.attempt(job(1));
    await durable;
    expect(deps.retries.schedule).toHaveBeenCalledTimes(2);
    expect(deps.recorder.record).toHaveBeenCalledTimes(1);
  });

  it('disables a webhook that answered 410 only once the outcome is durable', async () => {
    const topic = gate();
    const { executor, deps, breakers } = executorWith({ status: 410, record: () => topic.opened });
    close = () => breakers.close();
    const { durable } = await executor.attempt(job(1));
    expect(deps.disableGone).not.toHaveBeenCalled();
    expect(await settled(durable)).toBe(false);
    topic.open();
    await durable;
    expect(deps.disableGone).toHaveBeenCalledWith('w1', expect.stringContaining('410'));
  });

  it('completes a retry whose webhook is gone; durable once the store has removed its row', async () => {
    const { executor, deps, sent, breakers } = executorWith({ registered: false });
    close = () => breakers.close();
    const store = gate();
    deps.retries.complete.mockImplementation(() => store.opened);
    const { durable } = await executor.attempt(job(1, { source: 'retry', attempt: 3 }));
    expect(sent).toHaveLength(0);
    expect(deps.retries.complete).toHaveBeenCalledWith('d1', 3);
    expect(await settled(durable)).toBe(false);
    store.open();
    await durable;
  });
});
