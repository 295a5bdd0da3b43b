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
