import { JsonLogger, SampledLog } from '@vowchat/platform';
import { isRetriable, untilDurable, writeDurably, writeEachDurably } from './until-durable';

class Refused extends Error {
  readonly retriable = false;
}

/** A logger that keeps its lines to itself: the spec asserts behaviour, the test output stays clean. */
class SilentLogger extends JsonLogger {
  override write(): void {}
}
const quietLog = () => new SampledLog(new SilentLogger('test'));

describe('untilDurable', () => {
  it('retries a passing failure with growing waits until the write succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    await untilDurable(
      async () => {
        if (++calls < 5) throw new Error('broker away');
      },
      { log: quietLog(), what: 'test', sleep: async (ms) => void waits.push(ms) },
    );
    expect(calls).toBe(5);
    expect(waits).toEqual([200, 400, 800, 1_600]);
  });

  it('caps the wait at ten seconds', async () => {
    const waits: number[] = [];
    let calls = 0;
    await untilDurable(
      async () => {
        if (++calls < 10) throw new Error('away');
      },
      { log: quietLog(), what: 'test', sleep: async (ms) => void waits.push(ms) },
    );
    expect(Math.max(...waits)).toBe(10_000);
  });

  it('throws at once what can never succeed', async () => {
    let calls = 0;
    const write = async () => {
      calls++;
      throw new Refused('record too large');
    };
    await expect(
      untilDurable(write, { log: quietLog(), what: 'test', sleep: async () => undefined }),
    ).rejects.toThrow('record too large');
    expect(calls).toBe(1);
  });

  it.each([
    [new Error('connection refused'), true],
    [new Refused('too large'), false],
    [new TypeError('x is undefined'), false],
    [new RangeError('Maximum call stack size exceeded'), false],
    ['a string', true],
  ])('isRetriable(%p) is %p', (error, expected) => {
    expect(isRetriable(error)).toBe(expected);
  });
});

describe('writeDurably', () => {
  it('reports a refused write as false instead of throwing', async () => {
    const refused = async () => {
      throw new Refused('record too large');
    };
    await expect(writeDurably(refused, { log: quietLog(), what: 'test' })).resolves.toBe(false);
    await expect(writeDurably(async () => undefined, { log: quietLog(), what: 'test' })).resolves.toBe(true);
  });
});

describe('writeEachDurably', () => {
  it('retries each write on its own: one written is not written again while another fails', async () => {
    let topicWrites = 0;
    let storeWrites = 0;
    const written = await writeEachDurably(
      [
        async () => void topicWrites++,
        async () => {
          if (++storeWrites < 3) throw new Error('Postgres away');
        },
      ],
      { log: quietLog(), what: 'test', sleep: async () => undefined },
    );
    expect(written).toBe(true);
    expect({ topicWrites, storeWrites }).toEqual({ topicWrites: 1, storeWrites: 3 });
  });

  it('reports false when one write is refused, once the others are durable', async () => {
    let other = 0;
    const written = await writeEachDurably(
      [
        async () => {
          throw new Refused('record too large');
        },
        async () => {
          if (++other < 2) throw new Error('away');
        },
      ],
      { log: quietLog(), what: 'test', sleep: async () => undefined },
    );
    expect(written).toBe(false);
    expect(other).toBe(2);
  });
});
