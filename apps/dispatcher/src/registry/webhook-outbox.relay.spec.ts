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

const record = (n: number): RelayedRecord => ({ kind: 'webhook_change', key: `w${n}`, value: `{"n":${n}}` });
const state = (n: number): RelayedRecord => ({ kind: 'webhook_state', key: `w${n}`, value: `{"s":${n}}` });
/** What a publisher is handed: the record without its outbox kind. */
const sent = ({ key, value }: RelayedRecord) => ({ key, value });

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

type Sent = { key: string; value: string };

function relayWith(outbox: ReturnType<typeof outboxOf>, publish = async (_: Sent[]) => {}) {
  /** Each send: the webhooks topic's (publishRecords) or the delivery topic's (publishStateRecords). */
  const sends: { to: 'webhooks' | 'deliveries'; records: Sent[] }[] = [];
  const log = new RecordingLogger('test');
  const relay = new WebhookOutboxRelay(
    outbox,
    {
      publishRecords: async (records) => {
        await publish(records);
        sends.push({ to: 'webhooks', records });
      },
      publishStateRecords: async (records) => {
        await publish(records);
        sends.push({ to: 'deliveries', records });
      },
    },
    log,
    { minAgeMs: 3_000, batchSize: 2 },
  );
  return { relay, sends, log };
}

describe('WebhookOutboxRelay.tick', () => {
  it('publishes due rows in the order the outbox hands them, and keeps going while batches are full', async () => {
    const outbox = outboxOf([[record(1), record(2)], [record(3), record(4)], [record(5)]]);
    const { relay, sends } = relayWith(outbox);

    expect(await relay.tick()).toBe(5);
    expect(sends).toEqual([
      { to: 'webhooks', records: [record(1), record(2)].map(sent) },
      { to: 'webhooks', records: [record(3), record(4)].map(sent) },
      { to: 'webhooks', records: [record(5)].map(sent) },
    ]);
    expect(outbox.calls).toEqual([
      { minAgeMs: 3_000, limit: 2 },
      { minAgeMs: 3_000, limit: 2 },
      { minAgeMs: 3_000, limit: 2 },
    ]);
  });

  it('does nothing more when nothing is due', async () => {
    const outbox = outboxOf([[]]);
    const { relay, sends, log } = relayWith(outbox);
    expect(await relay.tick()).toBe(0);
    expect(sends).toEqual([]);
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
    const { relay, sends, log } = relayWith(outbox, async () => {
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
    expect(sends).toEqual([{ to: 'webhooks', records: [sent(record(1))] }]);
    expect(log.lines.map((l) => l.msg)).toContain('webhook outbox relay working again');
  });

  it("sends each kind of row to its topic, in the rows' order, one send per topic", async () => {
    const outbox = outboxOf([[record(1), state(1), record(2), state(2)]]);
    const { relay, sends } = relayWith(outbox);
    expect(await relay.tick()).toBe(4);
    expect(sends).toEqual([
      { to: 'webhooks', records: [record(1), record(2)].map(sent) },
      { to: 'deliveries', records: [state(1), state(2)].map(sent) },
    ]);
  });

  it("fails the whole batch when one topic's send fails, so its rows are all kept", async () => {
    const outbox = outboxOf([[state(1), record(1)]]);
    const { relay, log } = relayWith(outbox, async (records) => {
      if (records.some((r) => r.key === 'w1' && r.value.startsWith('{"n"')))
        throw new Error('broker unreachable');
    });
    expect(await relay.tick()).toBe(0);
    expect(log.lines[0].fields).toMatchObject({ kind: 'outbox_relay_failed', error: 'broker unreachable' });
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
