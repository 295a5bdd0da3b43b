// Counts what reaches the receiver during one phase of the benchmark: requests, distinct
// deliveries (event id × path), first and last arrival, and produce-to-delivery latency from the
// `bench_sent_at` stamp each event body carries. Only bodies of this phase's run id count.
import { startReceiver, type Receiver, type ReceivedRequest } from '../test/support/receiver';

const RUN_ID = /"bench_run":"([^"]+)"/;
const SENT_AT = /"bench_sent_at":(\d+)/;

export interface TallyOptions {
  /** Which run's bodies to count (others, e.g. a warm-up, are ignored). */
  runId: string;
  /** Counts only requests whose path passes; the rest are tallied as `excluded`. */
  include?: (path: string) => boolean;
}

export class DeliveryTally {
  requests = 0;
  excluded = 0;
  /** Arrival of the first and of the latest distinct delivery (epoch ms). */
  firstAt: number | null = null;
  lastAt: number | null = null;
  readonly latenciesMs: number[] = [];
  /** Arrival time of each latency sample, in the same order. */
  readonly latencyArrivals: number[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly options: TallyOptions) {}

  /** Distinct deliveries: a redelivered (event, path) pair counts once. */
  get unique(): number {
    return this.seen.size;
  }

  get duplicates(): number {
    return this.requests - this.seen.size;
  }

  readonly onRequest = (request: ReceivedRequest): void => {
    if (RUN_ID.exec(request.body)?.[1] !== this.options.runId) return;
    if (this.options.include && !this.options.include(request.path)) {
      this.excluded++;
      return;
    }
    const at = request.receivedAt.getTime();
    this.requests++;
    // Dispatcher requests carry the event id; raw ceiling requests carry a sequence number instead.
    const id = headerOf(request, 'webhook-id') ?? headerOf(request, 'x-bench-seq') ?? String(this.requests);
    const key = `${id} ${request.path}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    // First and last new delivery: a late duplicate does not stretch the span.
    this.firstAt ??= at;
    this.lastAt = at;
    // Latency of the first arrival only: a redelivery's latency is the retry schedule's.
    const sentAt = SENT_AT.exec(request.body)?.[1];
    if (sentAt !== undefined) {
      this.latenciesMs.push(at - Number(sentAt));
      this.latencyArrivals.push(at);
    }
  };
}

function headerOf(request: ReceivedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A receiver whose requests go to whichever tally is current (none between phases). */
export interface TallyingReceiver {
  receiver: Receiver;
  /** Makes `tally` the one counting from now on. */
  countWith(tally: DeliveryTally | null): void;
}

export async function startTallyingReceiver(): Promise<TallyingReceiver> {
  let current: DeliveryTally | null = null;
  const receiver = await startReceiver({
    record: false,
    onRequest: (request) => current?.onRequest(request),
  });
  return { receiver, countWith: (tally) => void (current = tally) };
}
