// The partition leader's broker SIGKILLed under load on a three-broker cluster (RF 3,
// min.insync.replicas 2), and restarted: the publisher's acks=all writes move to the new leader,
// the dispatcher's fetches and commits follow, nothing acknowledged is lost.
import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import { startCluster } from '../../test/support/kafka-cluster';
import { DATABASE_URL } from '../../test/support/infra';
import { fmt, sleep } from '../chaos-system';
import { log } from '../progress';
import { deliveryFigures, type FaultWindow, type Scenario, type ScenarioResult } from '../result';
import { scaled, untilCount, withSystem } from './common';

export interface LeaderKillParams {
  events: number;
  perSecond: number;
  /** How long the killed broker stays down. */
  downMs: number;
}

const NAME = 'leader-kill';
const TITLE = "partition leader's broker SIGKILLed under load on 3 brokers, then restarted";

export async function runLeaderKill(p: LeaderKillParams): Promise<ScenarioResult> {
  const started = Date.now();
  log(`${NAME}: starting a 3-broker cluster`);
  const cluster = await startCluster({ brokers: 3 });
  try {
    return await withSystem(
      {
        scenario: NAME,
        infra: { brokers: cluster.bootstrap, replicationFactor: 3, databaseUrl: DATABASE_URL },
        accounts: 10,
        webhooksPerAccount: 2,
        capacity: p.events,
      },
      async (system) => {
        await system.startDispatcher(0);
        await system.createWebhooks();
        await system.connectPublisher();
        log(`${NAME}: publishing ${fmt(p.events)} events at ${fmt(p.perSecond)}/s`);
        const loadStart = Date.now();
        const publishing = system.publishPaced({ count: p.events, perSecond: p.perSecond });
        await untilCount(() => system.tally.acked, Math.floor(p.events / 3));
        const topic = system.names.topics.messages;
        const leader = await cluster.leaderOf(topic, 0);
        const coordinatorNote = `killed node ${leader}, leader of ${topic}/0`;
        log(`${NAME}: SIGKILL broker ${leader} (leader of ${topic}/0)`);
        const at = Date.now();
        await cluster.kill(leader, 'SIGKILL');
        const ackedAtKill = system.tally.acked;
        await sleep(p.downMs);
        const newLeader = await cluster.leaderOf(topic, 0);
        log(`${NAME}: restarting broker ${leader} (partition 0 now led by ${newLeader})`);
        await cluster.restart(leader);
        const clearedAt = Date.now();
        const ackedWhileDown = system.tally.acked - ackedAtKill;
        await publishing;
        await system.waitForDelivery(NAME);
        const projection = await system.compareProjection();
        const durability = await durabilityOf(system.kafka, system.names.topics.deliveries);
        const faults: FaultWindow[] = [{ label: `broker ${leader} down`, at, clearedAt }];
        const { rows, checks } = deliveryFigures(system, projection, {
          faults,
          duplicatesForcedBy: "the broker's SIGKILL",
        });
        rows.push(
          ['new leader of partition 0 while down', String(newLeader)],
          ['events acknowledged while the broker was down', fmt(ackedWhileDown)],
          ['delivery topic: replicas / min.insync.replicas / unclean leader election', durability],
          [
            'longest pause in delivery',
            `${fmt(system.tally.longestPauseSeconds(loadStart, system.tally.lastArrival))} s`,
          ],
        );
        return {
          name: NAME,
          title: TITLE,
          seconds: (Date.now() - started) / 1000,
          rows,
          checks,
          notes: [
            coordinatorNote,
            `${fmt(p.events)} events at ${fmt(p.perSecond)}/s, 10 accounts × 2 webhooks`,
          ],
        };
      },
      { title: TITLE },
    );
  } finally {
    await cluster.stop();
  }
}

/**
 * What makes an acks=all write on `topic` survive its leader's death, as the cluster says: a record
 * missing from it after the kill is then not a truncation.
 */
async function durabilityOf(kafka: Kafka, topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const replicas = [...new Set(topics[0].partitions.map((p) => p.replicas.length))].join(', ');
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configNames: ['min.insync.replicas', 'unclean.leader.election.enable'],
        },
      ],
    });
    const value = (name: string) =>
      resources[0].configEntries.find((e) => e.configName === name)?.configValue ?? '?';
    return `${replicas} / ${value('min.insync.replicas')} / ${value('unclean.leader.election.enable')}`;
  } catch (error) {
    return `unknown (${(error as Error).message})`;
  } finally {
    await admin.disconnect();
  }
}

export const leaderKill: Scenario = {
  name: NAME,
  title: TITLE,
  run: ({ scale }) =>
    runLeaderKill({
      events: scaled(20_000, scale),
      perSecond: 400,
      downMs: Math.max(3_000, 15_000 * Math.min(1, scale)),
    }),
};
