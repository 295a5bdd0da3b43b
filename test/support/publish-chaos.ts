// Publishing under broker kills: many concurrent publishers write events to a disposable broker
// (startCluster) that is SIGKILLed and restarted again and again; afterwards every record is read
// back and each acknowledged event is looked for at the offset it was acknowledged with. An
// acknowledged event whose offset holds another event (or nothing) is lost. Shared by
// test/publish-chaos.test.ts (a few kills) and scripts/chaos-publish.ts (many).
import { randomInt } from 'node:crypto';
import { EVENT_HEADERS, exampleEvent, headerText, type VowChatEvent } from '@vowchat/events';
import { Kafka, logLevel } from 'kafkajs';
import { Agent, request } from 'undici';
import type { KafkaCluster } from './kafka-cluster';
import { uniqueName } from './names';
import { waitFor } from './wait-for';

/** Where a publisher was told its event landed. `offset` is absent when the path does not say. */
export interface Acknowledged {
  eventId: string;
  topic: string;
  partition?: number;
  offset?: string;
}

/** Publishes one event (a fresh one per call); resolves once it is acknowledged, or rejects. */
export type PublishOne = (event: VowChatEvent) => Promise<Acknowledged>;

export interface ChaosOptions {
  cluster: KafkaCluster;
  /** The node to kill (a single-node cluster: 1). */
  nodeId?: number;
  kills: number;
  /** Publishing loops running at once. */
  publishers: number;
  /** The topics the events go to (read back at the end). */
  topics: string[];
  publish: PublishOne;
  /** Acknowledgements to wait for between a restart and the next kill (traffic flows again). */
  acksBetweenKills?: number;
  /** Most time to wait for those acknowledgements before killing anyway. */
  maxWaitBetweenKillsMs?: number;
  /** How long the broker stays dead, at random within [min, max] ms. */
  downMs?: [number, number];
  log?: (line: string) => void;
}

export interface ChaosResult {
  kills: number;
  attempted: number;
  acknowledged: number;
  /** Publishes that failed (the caller was told so: not a loss). */
  failed: number;
  /** Acknowledged events whose acknowledged offset holds another event or nothing. */
  lost: (Acknowledged & { found: string | null })[];
  /** Acknowledged events found on no offset of their topic at all. */
  absent: number;
  /** Records beyond the first of an event id (at-least-once retries; not a loss). */
  duplicateRecords: number;
  records: number;
  seconds: number;
  /** Failure messages seen, with counts. */
  failures: Record<string, number>;
}

/** Runs the publishers, kills and restarts the broker `kills` times under them, then checks every acknowledgement. */
export async function runPublishChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { cluster, kills, publishers, publish } = options;
  const nodeId = options.nodeId ?? 1;
  const log = options.log ?? (() => undefined);
  const [downMin, downMax] = options.downMs ?? [200, 1500];
  const acked: Acknowledged[] = [];
  const failures: Record<string, number> = {};
  let attempted = 0;
  let failed = 0;
  let stopping = false;
  const started = Date.now();

  const loop = async (n: number) => {
    for (let i = 0; !stopping; i++) {
      // Accounts spread over every partition.
      const event = exampleEvent('message_created', { id: 1_000 + n, name: `Chaos ${n}` });
      attempted++;
      try {
        acked.push(await publish(event));
      } catch (error) {
        failed++;
        const key = ((error as Error).message ?? String(error)).slice(0, 80);
        failures[key] = (failures[key] ?? 0) + 1;
        // A refused publish is answered at once while the broker is down: do not spin.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const loops = Array.from({ length: publishers }, (_, n) => loop(n));

  let killed = 0;
  try {
    for (; killed < kills; killed++) {
      const before = acked.length;
      const want = options.acksBetweenKills ?? 200;
      await waitFor(
        `${want} acknowledgements before kill ${killed + 1}`,
        () => acked.length - before >= want,
        {
          timeoutMs: options.maxWaitBetweenKillsMs ?? 60_000,
          intervalMs: 10,
        },
      ).catch(() =>
        log(`kill ${killed + 1}: only ${acked.length - before} acknowledgements since the last restart`),
      );
      // Land the kill at a random point of the traffic, not on a poll boundary.
      await new Promise((resolve) => setTimeout(resolve, randomInt(0, 250)));
      await cluster.kill(nodeId, 'SIGKILL');
      const down = randomInt(downMin, downMax + 1);
      await new Promise((resolve) => setTimeout(resolve, down));
      await cluster.restart(nodeId);
      log(
        `kill ${killed + 1}/${kills}: down ${down} ms; ${acked.length} acknowledged, ${failed} failed so far`,
      );
    }
    // Let the publishers see the broker back before stopping them.
    const before = acked.length;
    await waitFor('acknowledgements after the last restart', () => acked.length - before >= 50, {
      timeoutMs: 60_000,
      intervalMs: 10,
    }).catch(() => undefined);
  } finally {
    stopping = true;
    await Promise.all(loops);
  }

  const onTopics = await readBack(cluster.bootstrap, options.topics);
  const lost: ChaosResult['lost'] = [];
  let absent = 0;
  const idsOnTopics = new Map<string, number>();
  for (const id of onTopics.values()) idsOnTopics.set(id, (idsOnTopics.get(id) ?? 0) + 1);
  for (const a of acked) {
    if (!idsOnTopics.has(a.eventId)) absent++;
    if (a.partition === undefined || a.offset === undefined) {
      if (!idsOnTopics.has(a.eventId)) lost.push({ ...a, found: null });
      continue;
    }
    const found = onTopics.get(`${a.topic}:${a.partition}:${a.offset}`) ?? null;
    if (found !== a.eventId) lost.push({ ...a, found });
  }
  let duplicateRecords = 0;
  for (const count of idsOnTopics.values()) duplicateRecords += count - 1;
  return {
    kills: killed,
    attempted,
    acknowledged: acked.length,
    failed,
    lost,
    absent,
    duplicateRecords,
    records: onTopics.size,
    seconds: (Date.now() - started) / 1000,
    failures,
  };
}

/** Every record of `topics`, as `topic:partition:offset` → its event id header. */
async function readBack(brokers: string[], topics: string[]): Promise<Map<string, string>> {
  const kafka = new Kafka({ clientId: uniqueName('chaos-read'), brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let expected = 0;
  try {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) expected += Number(p.high) - Number(p.low);
    }
  } finally {
    await admin.disconnect();
  }
  const records = new Map<string, string>();
  const consumer = kafka.consumer({ groupId: uniqueName('chaos-read'), maxBytes: 16 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const id = headerText(m.headers?.[EVENT_HEADERS.eventId]) ?? '(no id)';
          records.set(`${batch.topic}:${batch.partition}:${m.offset}`, id);
        }
      },
    });
    await waitFor(`${expected} records read back`, () => records.size >= expected, {
      timeoutMs: 120_000,
      intervalMs: 100,
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Publishes through the producer API, one event per POST (keep-alive connections, many at once). */
export function httpPublisher(producer: { url: string; token: string }): {
  publish: PublishOne;
  close(): Promise<void>;
} {
  const agent = new Agent({ connections: 256 });
  return {
    close: () => agent.close(),
    publish: async (event: VowChatEvent) => {
      const res = await request(`${producer.url}/api/v1/accounts/${event.account.id}/events`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', api_access_token: producer.token },
        body: JSON.stringify(event),
      });
      const text = await res.body.text();
      if (res.statusCode !== 202) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 60)}`);
      const body = JSON.parse(text) as { event_id: string; topic: string; partition: number; offset: string };
      return { eventId: body.event_id, topic: body.topic, partition: body.partition, offset: body.offset };
    },
  };
}
