import { EndpointQueues } from './endpoint-queues';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('EndpointQueues', () => {
  it('runs at most `concurrency` jobs per endpoint, in FIFO order', async () => {
    const gates = new Map<number, ReturnType<typeof deferred>>();
    const started: number[] = [];
    const queues = new EndpointQueues<number>({
      concurrency: 2,
      queueCap: 10,
      run: (n) => {
        started.push(n);
        const gate = deferred();
        gates.set(n, gate);
        return gate.promise;
      },
    });
    [1, 2, 3, 4].forEach((n) => queues.offer('a', n));
    expect(started).toEqual([1, 2]);
    expect(queues.depth('a')).toBe(4);
    gates.get(1)!.resolve();
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toEqual([1, 2, 3]);
  });

  it('a stuck endpoint does not hold back another endpoint', () => {
    const started: string[] = [];
    const queues = new EndpointQueues<string>({
      concurrency: 1,
      queueCap: 10,
      run: (job) => {
        started.push(job);
        return new Promise(() => undefined); // never finishes: a dead endpoint
      },
    });
    queues.offer('dead', 'd1');
    queues.offer('dead', 'd2');
    queues.offer('healthy', 'h1');
    expect(started).toEqual(['d1', 'h1']);
  });

  it('refuses jobs beyond the queue cap so the caller can defer them', () => {
    const queues = new EndpointQueues<number>({
      concurrency: 1,
      queueCap: 2,
      run: () => new Promise(() => undefined),
    });
    expect([1, 2, 3, 4].map((n) => queues.offer('a', n))).toEqual([true, true, true, false]);
    expect(queues.waiting).toBe(2);
    expect(queues.active).toBe(1);
  });

  it('idle() resolves once everything has run', async () => {
    const ran: number[] = [];
    const queues = new EndpointQueues<number>({
      concurrency: 3,
      queueCap: 100,
      run: async (n) => void ran.push(n),
    });
    for (let i = 0; i < 20; i++) queues.offer(`e${i % 4}`, i);
    await queues.idle();
    expect(ran.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });
});

describe('EndpointQueues in bytes', () => {
  it('counts the bytes of waiting jobs, not of running ones', async () => {
    const gate = deferred();
    const queues = new EndpointQueues<string>({
      concurrency: 1,
      queueCap: 10,
      run: () => gate.promise,
      sizeOf: (job) => job.length,
    });
    queues.offer('a', 'x'.repeat(100)); // runs at once
    queues.offer('a', 'y'.repeat(30));
    queues.offer('b', 'z'.repeat(20)); // another lane: runs at once
    expect(queues.waitingBytes).toBe(30);
    gate.resolve();
    await queues.idle();
    expect(queues.waitingBytes).toBe(0);
  });
});

describe('EndpointQueues with a rate limit', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Lanes whose endpoint 'slow' admits one job per 100 ms and 'fast' every job. */
  function limitedQueues(queueCap = 10) {
    const started: string[] = [];
    let throttled = 0;
    let nextTokenAt = 0;
    const queues = new EndpointQueues<string>({
      concurrency: 5,
      queueCap,
      run: async (job) => void started.push(job),
      admit: (endpoint) => {
        if (endpoint !== 'slow') return 0;
        const wait = nextTokenAt - Date.now();
        if (wait > 0) return wait;
        nextTokenAt = Date.now() + 100;
        return 0;
      },
      onThrottled: (jobs) => (throttled += jobs),
    });
    return { queues, started, throttled: () => throttled };
  }

  it('starts a throttled job when its token is due, without holding a slot meanwhile', async () => {
    const { queues, started, throttled } = limitedQueues();
    ['s1', 's2', 's3'].forEach((job) => queues.offer('slow', job));
    queues.offer('fast', 'f1');
    await Promise.resolve();
    expect(started).toEqual(['s1', 'f1']);
    expect(queues.throttled('slow')).toBe(true);
    expect(queues.throttled('fast')).toBe(false);
    expect(queues.active).toBe(0);
    expect(queues.waiting).toBe(2);
    await jest.advanceTimersByTimeAsync(100);
    expect(started).toEqual(['s1', 'f1', 's2']);
    await jest.advanceTimersByTimeAsync(100);
    expect(started).toEqual(['s1', 'f1', 's2', 's3']);
    expect(queues.throttled('slow')).toBe(false);
    // s2 and s3 waited for the rate; each is counted once.
    expect(throttled()).toBe(2);
    await queues.idle();
  });

  it('keeps one timer per lane, and a job offered while throttled waits its turn (counted once)', async () => {
    const { queues, started, throttled } = limitedQueues();
    queues.offer('slow', 's1');
    queues.offer('slow', 's2');
    queues.offer('slow', 's3');
    queues.offer('slow', 's4');
    expect(jest.getTimerCount()).toBe(1);
    expect(throttled()).toBe(3);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(started).toEqual(['s1', 's2', 's3', 's4']);
    expect(throttled()).toBe(3);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('refuses beyond the queue cap while throttled, so the caller defers the job', () => {
    const { queues } = limitedQueues(2);
    expect(['s1', 's2', 's3', 's4'].map((job) => queues.offer('slow', job))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(queues.throttled('slow')).toBe(true);
  });
});
