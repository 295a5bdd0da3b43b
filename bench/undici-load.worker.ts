// The raw undici ceiling's client, in a worker thread so it has an event loop of its own, as the
// dispatcher (a child process) does: POSTs each body once through one keep-alive Agent with a fixed
// number of requests in flight, and reports how many were answered 2xx.
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'undici';

export interface UndiciLoadInput {
  origin: string;
  posts: { path: string; body: string }[];
  /** The first this many posts are a warm-up: a `warmed-up` message follows the last of them. */
  warmUpPosts: number;
  concurrency: number;
  deadlineAt: number;
}

export interface UndiciLoadOutput {
  kind: 'done';
  answered: number;
  failed: number;
  firstError: string | null;
}

export type UndiciLoadMessage = { kind: 'warmed-up' } | UndiciLoadOutput;

async function load({
  origin,
  posts,
  warmUpPosts,
  concurrency,
  deadlineAt,
}: UndiciLoadInput): Promise<UndiciLoadOutput> {
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  let next = 0;
  let answered = 0;
  let failed = 0;
  let firstError: string | null = null;
  // The parent measures CPU from here, so loading and compiling the client are left out.
  const signalWarmedUp = () => parentPort!.postMessage({ kind: 'warmed-up' } satisfies UndiciLoadMessage);
  if (warmUpPosts === 0) signalWarmedUp();
  const worker = async () => {
    while (next < posts.length && Date.now() < deadlineAt) {
      const seq = next++;
      const post = posts[seq];
      try {
        const response = await request(origin + post.path, {
          method: 'POST',
          body: post.body,
          headers: { 'content-type': 'application/json', 'x-bench-seq': String(seq) },
          dispatcher: agent,
        });
        await response.body.dump();
        if (response.statusCode >= 200 && response.statusCode < 300) answered++;
        else failed++;
      } catch (error) {
        failed++;
        firstError ??= (error as Error).message;
      }
      if (answered + failed === warmUpPosts) signalWarmedUp();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await agent.close();
  return { kind: 'done', answered, failed, firstError };
}

load(workerData as UndiciLoadInput).then(
  (output) => parentPort!.postMessage(output),
  (error: Error) => {
    throw error;
  },
);
