import { JsonLogger, SampledLog } from '@vowchat/platform';
import { EndpointBreakers } from '../circuit/endpoint-breakers';
import { DispatcherMetrics } from '../metrics/dispatcher-metrics';
import type { WebhookTarget } from '../registry/webhook-target';
import { DeliveryExecutor } from './delivery-executor';
import type { DeliveryJob } from './delivery-job';
import { DeliveryPipeline } from './delivery-pipeline';

/** A logger that keeps its lines to itself: the spec asserts behaviour, the test output stays clean. */
class SilentLogger extends JsonLogger {
  override write(): void {}
}

const target: WebhookTarget = {
  id: 'w1',
  accountId: 7,
  url: 'https://receiver.example/hook',
  subscriptions: new Set(['message_created']),
  secrets: ['whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0'],
  rateLimitPerSecond: null,
};

function job(n: number): DeliveryJob {
  return {
    deliveryId: `d${n}`,
    eventId: `e${n}`,
    eventType: 'message_created',
    accountId: 7,
    webhookId: 'w1',
    body: `{"n":${n}}`,
    attempt: 1,
    source: 'stream',
    publishedAt: null,
    routedAt: null,
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A pipeline on a real executor and breaker, one endpoint answering `status` (503 until the test
 * changes it) and a retry store that accepts nothing until `storeBack()` (Postgres away).
 */
function pipelineWith({
  concurrency = 2,
  queueCap = 10,
  volumeThreshold = 100,
  resetTimeoutMs = 60_000,
  topicUp = Promise.resolve(),
}: {
  concurrency?: number;
  queueCap?: number;
  volumeThreshold?: number;
  resetTimeoutMs?: number;
  topicUp?: Promise<void>;
} = {}) {
  let storeBack!: () => void;
  const storeUp = new Promise<void>((resolve) => (storeBack = resolve));
  const endpoint = { status: 503, requests: [] as string[] };
  const retries = { schedule: jest.fn(() => storeUp), complete: jest.fn(() => storeUp) };
  const recorder = { record: jest.fn(() => topicUp) };
  const metrics = new DispatcherMetrics({ defaultMetrics: false });
  const sampled = new SampledLog(new SilentLogger('test'));
  const clock = { now: () => new Date() };
  const breakers = new EndpointBreakers(
    { errorThresholdPercentage: 50, windowMs: 10_000, volumeThreshold, resetTimeoutMs },
    () => undefined,
  );
  const executor = new DeliveryExecutor({
    registry: { get: (id) => (id === target.id ? target : undefined) },
    sender: {
      send: async (request) => {
        endpoint.requests.push(request.body);
        return {
          statusCode: endpoint.status,
          durationMs: 1,
          responseBody: '',
          retryAfter: null,
          failure: null,
        };
      },
    },
    breakers,
    retries,
    recorder,
    disableGone: async () => undefined,
    clock,
    random: () => 0.5,
    settings: { retryScheduleMs: [1_000, 2_000], retryAfterCapMs: 60_000 },
    metrics,
    log: new SilentLogger('test'),
    durableLog: sampled,
  });
  const pipeline = new DeliveryPipeline({
    registry: { matching: () => [] },
    executor,
    deadLetters: { send: async () => undefined },
    retries,
    recorder,
    clock,
    settings: { endpointConcurrency: concurrency, endpointQueueCap: queueCap, overflowDelayMs: 1_000 },
    metrics,
    log: sampled,
  });
  const durable = new Set<string>();
  const submit = (n: number) => pipeline.submit(job(n), () => durable.add(`d${n}`));
  return { pipeline, endpoint, retries, breakers, durable, submit, storeBack };
}

describe('DeliveryPipeline while the retry store is away', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  it('frees lane slots once requests are over: a recovered endpoint gets later jobs at once', async () => {
    const { pipeline, endpoint, durable, submit, storeBack, breakers } = pipelineWith({ concurrency: 2 });
    close = () => breakers.close();
    submit(1);
    submit(2);
    await until('both 503 attempts', () => endpoint.requests.length === 2 && pipeline.pendingDurable === 2);
    // Both retries wait for the store, out of the lane: its two slots are free.
    expect(pipeline.queues.active).toBe(0);
    expect(pipeline.pendingDurableBytes).toBe(job(1).body.length + job(2).body.length);
    endpoint.status = 200;
    submit(3);
    submit(4);
    submit(5);
    await until('the recovered endpoint to get every later job', () => endpoint.requests.length === 5);
    // Delivered outcomes need only the delivery topic: durable at once. The retries still wait.
    await until('the deliveries to be durable', () => durable.size === 3);
    expect([...durable].sort()).toEqual(['d3', 'd4', 'd5']);
    expect(pipeline.pendingDurable).toBe(2);

    storeBack();
    await pipeline.idle();
    expect([...durable].sort()).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    expect(pipeline.pendingDurable).toBe(0);
    expect(pipeline.pendingDurableBytes).toBe(0);
  });

  it('idle() waits for outcomes still being written, not only for the lanes', async () => {
    const { pipeline, submit, storeBack, breakers } = pipelineWith();
    close = () => breakers.close();
    submit(1);
    let idle = false;
    const idling = pipeline.idle().then(() => (idle = true));
    await until(
      'the attempt to leave its lane',
      () => pipeline.queues.active === 0 && pipeline.pendingDurable === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(idle).toBe(false);
    storeBack();
    await idling;
    expect(pipeline.pendingDurable).toBe(0);
  });

  it('an open breaker defers jobs at once, and a fresh job probes the endpoint once it half-opens', async () => {
    const { pipeline, endpoint, durable, submit, storeBack, breakers } = pipelineWith({
      concurrency: 2,
      volumeThreshold: 4,
      resetTimeoutMs: 50,
    });
    close = () => breakers.close();
    for (let n = 1; n <= 4; n++) submit(n);
    await until('the breaker to open', () => breakers.state('w1') === 'open');
    for (let n = 5; n <= 20; n++) submit(n);
    // Deferred without an attempt, their deferrals waiting for the store: the lane is empty.
    await until('the deferrals to leave the lane', () => pipeline.queues.depth('w1') === 0);
    expect(endpoint.requests).toHaveLength(4);
    expect(pipeline.pendingDurable).toBe(20);

    endpoint.status = 200;
    await until('the breaker to half-open', () => breakers.state('w1') === 'half_open');
    submit(21);
    await until('the probe', () => endpoint.requests.length === 5);
    await until('the breaker to close', () => breakers.state('w1') === 'closed');
    submit(22);
    await until('the next fresh job', () => endpoint.requests.length === 6);
    expect(durable.has('d1')).toBe(false);

    storeBack();
    await pipeline.idle();
    expect(durable.size).toBe(22);
  });

  it('counts a job deferred from a full lane until its deferral is durable', async () => {
    const { pipeline, endpoint, durable, submit, storeBack, breakers } = pipelineWith({
      concurrency: 1,
      queueCap: 1,
    });
    close = () => breakers.close();
    endpoint.status = 200;
    // Job 1 takes the one slot, job 2 the one place in the queue; job 3 finds the lane full.
    submit(1);
    submit(2);
    submit(3);
    expect(pipeline.queues.depth('w1')).toBe(2);
    expect(pipeline.pendingDurable).toBe(1);
    expect(pipeline.pendingDurableBytes).toBe(job(3).body.length);
    await until('jobs 1 and 2 delivered', () => durable.has('d1') && durable.has('d2'));
    expect(durable.has('d3')).toBe(false);
    storeBack();
    await pipeline.idle();
    expect(durable.has('d3')).toBe(true);
    expect(pipeline.pendingDurable).toBe(0);
  });
});

describe('DeliveryPipeline while the delivery topic is slow', () => {
  it("holds a lane slot until the attempt record is on the topic, so attempts keep the writer's pace", async () => {
    let topicBack!: () => void;
    const topicUp = new Promise<void>((resolve) => (topicBack = resolve));
    const { pipeline, endpoint, durable, submit, storeBack, breakers } = pipelineWith({
      concurrency: 2,
      topicUp,
    });
    endpoint.status = 200;
    storeBack();
    for (let n = 1; n <= 4; n++) submit(n);
    await until('two requests, their records being written', () => endpoint.requests.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(endpoint.requests).toHaveLength(2);
    expect(pipeline.queues.active).toBe(2);
    expect(durable.size).toBe(0);

    topicBack();
    await pipeline.idle();
    expect(endpoint.requests).toHaveLength(4);
    expect([...durable].sort()).toEqual(['d1', 'd2', 'd3', 'd4']);
    breakers.close();
  });
});
