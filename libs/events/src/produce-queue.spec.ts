import { KafkaJSProtocolError, type Kafka, type ProducerBatch, type RecordMetadata } from 'kafkajs';
import {
  ProduceQueue,
  PublishQueueFullError,
  PublishTimeoutError,
  type ProduceQueueOptions,
  type QueuedRecord,
} from './produce-queue';

interface Call {
  producer: number;
  batch: ProducerBatch;
  settle: (outcome: { error?: Error }) => void;
}

/** A Kafka whose producers hand every sendBatch to the test, which answers it (or not). */
function fakeKafka() {
  const calls: Call[] = [];
  let producers = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const logs = new Map<string, number>(); // next offset per topic/partition
  const kafka = {
    producer: () => {
      const id = ++producers;
      return {
        connect: () => Promise.resolve(),
        disconnect: () => Promise.resolve(),
        sendBatch: (batch: ProducerBatch) =>
          new Promise<RecordMetadata[]>((resolve, reject) => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            calls.push({
              producer: id,
              batch,
              settle: ({ error }) => {
                inFlight--;
                if (error) return reject(error);
                const counts = new Map<string, number>();
                for (const { topic, messages } of batch.topicMessages ?? [])
                  for (const m of messages) {
                    const slot = `${topic}/${m.partition}`;
                    counts.set(slot, (counts.get(slot) ?? 0) + 1);
                  }
                resolve(
                  [...counts].map(([slot, n]) => {
                    const [topicName, partition] = slot.split('/');
                    const base = logs.get(slot) ?? 0;
                    logs.set(slot, base + n);
                    return {
                      topicName,
                      partition: Number(partition),
                      errorCode: 0,
                      baseOffset: String(base),
                    };
                  }),
                );
              },
            });
          }),
      };
    },
  };
  return {
    kafka: kafka as unknown as Kafka,
    calls,
    producers: () => producers,
    maxInFlight: () => maxInFlight,
    /** Waits until the queue has made call number `n` (1-based). */
    async call(n: number): Promise<Call> {
      for (let i = 0; i < 2_000 && calls.length < n; i++) await new Promise((r) => setTimeout(r, 1));
      if (calls.length < n) throw new Error(`no call ${n}; ${calls.length} made`);
      return calls[n - 1];
    },
  };
}

const record = (partition: number, value: string, bytes = 100, topic = 't'): QueuedRecord => ({
  topic,
  partition,
  message: { key: value, value },
  bytes,
});

const valuesOf = (call: Call) =>
  call.batch.topicMessages!.flatMap((t) => t.messages.map((m) => String(m.value)));

function newQueue(fake: ReturnType<typeof fakeKafka>, options: Partial<ProduceQueueOptions> = {}) {
  return new ProduceQueue(fake.kafka, { capacityOf: () => 1_000, timeoutMs: 2_000, ...options });
}

describe('ProduceQueue', () => {
  it('sends concurrent callers together, one request at a time, each answered with its own offsets', async () => {
    const fake = fakeKafka();
    const queue = newQueue(fake);
    const a = queue.send([record(0, 'a1'), record(1, 'a2')]);
    const b = queue.send([record(0, 'b1')]);
    const first = await fake.call(1);
    expect(valuesOf(first)).toEqual(['a1', 'a2', 'b1']);
    const c = queue.send([record(0, 'c1')]); // arrives while the first request is out
    await new Promise((r) => setTimeout(r, 5));
    expect(fake.calls).toHaveLength(1);
    first.settle({});
    await expect(a).resolves.toEqual([
      { topic: 't', partition: 0, offset: '0' },
      { topic: 't', partition: 1, offset: '0' },
    ]);
    await expect(b).resolves.toEqual([{ topic: 't', partition: 0, offset: '1' }]);
    (await fake.call(2)).settle({});
    await expect(c).resolves.toEqual([{ topic: 't', partition: 0, offset: '2' }]);
    expect(fake.maxInFlight()).toBe(1);
    expect(queue.pending).toEqual({ sends: 0, bytes: 0 });
  });

  it('keeps each partition of a request under its capacity, in order', async () => {
    const fake = fakeKafka();
    const queue = newQueue(fake, { capacityOf: () => 250 });
    const sent = queue.send([record(0, 'x1'), record(0, 'x2'), record(0, 'x3'), record(1, 'y1')]);
    const first = await fake.call(1);
    expect(valuesOf(first)).toEqual(['x1', 'x2']);
    first.settle({});
    const second = await fake.call(2);
    expect(valuesOf(second)).toEqual(['x3', 'y1']);
    second.settle({});
    await expect(sent).resolves.toEqual([
      { topic: 't', partition: 0, offset: '0' },
      { topic: 't', partition: 0, offset: '1' },
      { topic: 't', partition: 0, offset: '2' },
      { topic: 't', partition: 1, offset: '0' },
    ]);
  });

  it('after a failed request sends the same records again, first, on a new producer', async () => {
    const fake = fakeKafka();
    const replaced: string[] = [];
    const queue = newQueue(fake, { onProducerReplaced: (why) => replaced.push(why) });
    const a = queue.send([record(0, 'a')]);
    const first = await fake.call(1);
    const b = queue.send([record(0, 'b')]);
    first.settle({ error: new Error('Connection closed') });
    const second = await fake.call(2);
    expect(second.producer).toBe(first.producer + 1);
    expect(valuesOf(second)).toEqual(['a', 'b']);
    second.settle({});
    await expect(a).resolves.toEqual([{ topic: 't', partition: 0, offset: '0' }]);
    await expect(b).resolves.toEqual([{ topic: 't', partition: 0, offset: '1' }]);
    expect(replaced).toEqual([expect.stringContaining('Connection closed')]);
  });

  it('fails only the caller whose record the broker refused', async () => {
    const fake = fakeKafka();
    const queue = newQueue(fake);
    const good = queue.send([record(0, 'good')]);
    const bad = queue.send([record(1, 'bad')]);
    const tooLarge = new KafkaJSProtocolError({
      type: 'MESSAGE_TOO_LARGE',
      code: 10,
      retriable: false,
      message: 'too large',
    } as never);
    (await fake.call(1)).settle({ error: tooLarge });
    (await fake.call(2)).settle({}); // 'good' alone
    (await fake.call(3)).settle({ error: tooLarge }); // 'bad' alone
    await expect(good).resolves.toEqual([{ topic: 't', partition: 0, offset: '0' }]);
    await expect(bad).rejects.toBe(tooLarge);
    expect(fake.calls.slice(1).map(valuesOf)).toEqual([['good'], ['bad']]);
  });

  it('fails at once on an error only an operator can fix', async () => {
    const fake = fakeKafka();
    const queue = newQueue(fake);
    const denied = new KafkaJSProtocolError({
      type: 'TOPIC_AUTHORIZATION_FAILED',
      code: 29,
      retriable: false,
      message: 'not authorized',
    } as never);
    const sent = queue.send([record(0, 'a')]);
    (await fake.call(1)).settle({ error: denied });
    await expect(sent).rejects.toBe(denied);
  });

  it('answers PublishTimeoutError at the deadline and moves on with a new producer', async () => {
    const fake = fakeKafka();
    const queue = newQueue(fake, { timeoutMs: 50 });
    const started = Date.now();
    const stuck = queue.send([record(0, 'stuck')]);
    await fake.call(1); // never answered
    await expect(stuck).rejects.toBeInstanceOf(PublishTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_000);
    const next = queue.send([record(0, 'next')]);
    const second = await fake.call(2);
    expect(second.producer).toBe(2);
    second.settle({});
    await expect(next).resolves.toEqual([{ topic: 't', partition: 0, offset: '0' }]);
  });

  it('refuses at once past its bounds in sends and bytes', async () => {
    const fake = fakeKafka();
    const bySends = newQueue(fake, { maxQueuedSends: 1 });
    const first = bySends.send([record(0, 'a')]);
    await expect(bySends.send([record(0, 'b')])).rejects.toBeInstanceOf(PublishQueueFullError);
    (await fake.call(1)).settle({});
    await first;
    const byBytes = newQueue(fakeKafka(), { maxQueuedBytes: 150, timeoutMs: 20 });
    const waiting = byBytes.send([record(0, 'a')]);
    await expect(byBytes.send([record(0, 'b')])).rejects.toBeInstanceOf(PublishQueueFullError);
    await expect(waiting).rejects.toBeInstanceOf(PublishTimeoutError);
  });
});
