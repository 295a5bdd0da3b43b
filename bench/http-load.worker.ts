// The publishing scenarios' HTTP client, in a worker thread so it has an event loop of its own:
// POSTs events to the producer API's routes (single events or batches, spread over accounts) with a
// fixed number of requests in flight through one keep-alive Agent, a warm-up first, and reports the
// events accepted (2xx), each measured request's latency and the answers' statuses.
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'undici';
import { exampleEvent } from '../libs/events/src/examples';

export interface HttpLoadInput {
  origin: string;
  token: string;
  /** One event per POST to …/events, or `batchSize` per POST to …/events/batch. */
  batchSize: number | null;
  accounts: number;
  firstAccount: number;
  /** Measured requests, after `warmUpRequests` uncounted ones. */
  requests: number;
  warmUpRequests: number;
  concurrency: number;
  /** Stamped in every event (`bench_run`, and `id` = sequence), so deliveries can be tallied. */
  runId: string;
  deadlineAt: number;
}

export interface HttpLoadOutput {
  kind: 'done';
  /** Measured requests answered 2xx, and the events in them. */
  answered: number;
  events: number;
  failed: number;
  statuses: Record<string, number>;
  firstError: string | null;
  latenciesMs: number[];
  /** From the end of the warm-up to the last measured answer. */
  startedAt: number;
  endedAt: number;
}

async function load(input: HttpLoadInput): Promise<HttpLoadOutput> {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: input.concurrency });
  const total = input.warmUpRequests + input.requests;
  const perRequest = input.batchSize ?? 1;
  const path = (account: number) => `/api/v1/accounts/${account}/events${input.batchSize ? '/batch' : ''}`;
  const body = (seq: number, account: number) => {
    const events = Array.from({ length: perRequest }, (_, k) =>
      Object.assign(exampleEvent('message_created', { id: account, name: `Bench account ${account}` }), {
        id: String(seq * perRequest + k + 1),
        bench_run: seq < input.warmUpRequests ? `${input.runId}-warm-up` : input.runId,
        bench_sent_at: Date.now(),
      }),
    );
    return JSON.stringify(input.batchSize ? { events } : events[0]);
  };
  let next = 0;
  let answered = 0;
  let failed = 0;
  let done = 0;
  let firstError: string | null = null;
  let startedAt = input.warmUpRequests === 0 ? Date.now() : 0;
  let endedAt = 0;
  const statuses: Record<string, number> = {};
  const latenciesMs: number[] = [];
  const worker = async () => {
    while (next < total && Date.now() < input.deadlineAt) {
      const seq = next++;
      const account = input.firstAccount + (seq % input.accounts);
      const payload = body(seq, account);
      const sentAt = performance.now();
      let status = 'error';
      try {
        const response = await request(input.origin + path(account), {
          method: 'POST',
          body: payload,
          headers: { 'content-type': 'application/json', api_access_token: input.token },
          dispatcher: agent,
        });
        await response.body.dump();
        status = String(response.statusCode);
      } catch (error) {
        firstError ??= (error as Error).message;
      }
      const measured = seq >= input.warmUpRequests;
      if (measured) {
        latenciesMs.push(performance.now() - sentAt);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status.startsWith('2')) answered++;
        else {
          failed++;
          firstError ??= `HTTP ${status}`;
        }
        endedAt = Date.now();
      }
      if (++done === input.warmUpRequests) startedAt = Date.now();
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, worker));
  await agent.close();
  return {
    kind: 'done',
    answered,
    events: answered * perRequest,
    failed,
    statuses,
    firstError,
    latenciesMs,
    startedAt,
    endedAt,
  };
}

load(workerData as HttpLoadInput).then(
  (output) => parentPort!.postMessage(output),
  (error: Error) => {
    throw error;
  },
);
