import { JsonLogger } from '@vowchat/platform';
import type { RelayedRecord } from './webhook-outbox.repository';
import { WebhookOutboxRelay } from './webhook-outbox.relay';

/** Keeps the relay's log lines for the spec (and out of the test output). */
class RecordingLogger extends JsonLogger {
  readonly lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  override child(): JsonLogger {
    return this;
  }
  override write(level: string, msg: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ level, msg, fields });
  }
}

const record = (n: number): RelayedRecord => ({ key: `w${n}`, value: `{"n":${n}}` });

/** An outbox whose relay() answers each call with the next outcome: rows to publish, or an error. */
function outboxOf(outcomes: (RelayedRecord[] | Error)[]) {
  const calls: { minAgeMs: number; limit: number }[] = [];
  return {
    calls,
    async relay(minAgeMs: number, limit: number, publish: (records: RelayedRecord[]) => Promise<void>) {
      calls.push({ minAgeMs, limit });
      const next = outcomes.shift() ?? [];
      if (next instanceof Error) throw next;
      if (next.length > 0) await publish(next);
      return next.length;
    },
  };
}

function relayWith(outbox: ReturnType<typeof outboxOf>, publish = async (_: RelayedRecord[]) => {}) {
  const published: RelayedRecord[][] = [];
  const log = new RecordingLogger('test');
  const relay = new WebhookOutboxRelay(
    outbox,
    {
      publishRecords: async (records) => {
        await publish(records);
        published.push(records);
      },
    },
    log,
    { minAgeMs: 3_000, batchSize: 2 },
  );
  return { relay, published, log };
}

describe('WebhookOutboxRelay.tick', () => {
  it('publishes due rows in the order the outbox hands them, and keeps going while batches are full', async () => {
    const outbox = outboxOf([[record(1), record(2)], [record(3), record(4)], [record(5)]]);
    const { relay, published } = relayWith(outbox);

    expect(await relay.tick()).toBe(5);
    expect(published).toEqual([[record(1), record(2)], [record(3), record(4)], [record(5)]]);
    expect(outbox.calls).toEqual([
      { minAgeMs: 3_000, limit: 2 },
      { minAgeMs: 3_000, limit: 2 },
      { minAgeMs: 3_000, limit: 2 },
    ]);
  });

  it('does nothing more when nothing is due', async () => {
    const outbox = outboxOf([[]]);
    const { relay, published, log } = relayWith(outbox);
    expect(await relay.tick()).toBe(0);
    expect(published).toEqual([]);
    expect(log.lines).toEqual([]);
  });

  it('logs a failure with its cause and retries on the next tick, never throwing', async () => {
    // Postgres not connected yet, then Kafka refusing the publish, then both back.
    const outbox = outboxOf([
      new Error('Connection with postgres database is not established'),
      [record(1)],
      [record(1)],
    ]);
    let kafkaUp = false;
    const { relay, published, log } = relayWith(outbox, async () => {
      if (!kafkaUp) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    });

    expect(await relay.tick()).toBe(0);
    expect(await relay.tick()).toBe(0);
    expect(log.lines[0]).toEqual({
      level: 'error',
      msg: 'webhook outbox relay failed; retrying next tick',
      fields: expect.objectContaining({
        kind: 'outbox_relay_failed',
        error: 'Connection with postgres database is not established',
        relayed: 0,
      }) as unknown,
    });

    kafkaUp = true;
    expect(await relay.tick()).toBe(1);
    expect(published).toEqual([[record(1)]]);
    expect(log.lines.map((l) => l.msg)).toContain('webhook outbox relay working again');
  });

  it('stops between batches once shut down', async () => {
    const outbox = outboxOf([
      [record(1), record(2)],
      [record(3), record(4)],
    ]);
    const { relay } = relayWith(outbox, async () => {
      await relay.onModuleDestroy(); // shutdown begins while the first batch is being published
    });
    expect(await relay.tick()).toBe(2);
    expect(outbox.calls).toHaveLength(1);
  });

  it('does not let a tick stuck on an unreachable database hold shutdown for ever', async () => {
    jest.useFakeTimers();
    try {
      const stuck = { relay: () => new Promise<number>(() => {}) }; // never answers
      const { relay } = relayWith(stuck as unknown as ReturnType<typeof outboxOf>);
      relay.onApplicationBootstrap();
      await jest.advanceTimersByTimeAsync(1_000); // the first tick starts, and hangs
      let stopped = false;
      const stopping = relay.onModuleDestroy().then(() => (stopped = true));
      await jest.advanceTimersByTimeAsync(9_000);
      expect(stopped).toBe(false); // it does wait for the tick in flight, for a while
      await jest.advanceTimersByTimeAsync(1_000);
      await stopping;
      expect(stopped).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
