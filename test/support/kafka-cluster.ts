// Disposable Kafka brokers that a test may kill: one KRaft node, or a cluster of three (each node a
// broker and a controller, every node a voter), each a child process of the test with free ports,
// its own data directory in a temp dir and its logs in files there. The same jars (.kafka/libs, from
// `bash scripts/infra.sh up`) and node template (infra/kafka/cluster-node.properties) as
// `scripts/infra.sh cluster up`; nothing here touches the shared broker on 9092.
//
//   const cluster = await startCluster({ brokers: 3 });
//   await cluster.kill(await cluster.leaderOf(topic, 0)); // SIGKILL
//   await cluster.restart(nodeId); // same ports, same data
//   await cluster.stop();
//
// Logs are never printed; wrap a test's body in `cluster.showLogsOnFailure(...)` to get the tail of
// each node's log appended to a failure (the temp dir is then kept, and named).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { freePort } from './names';
import { waitFor } from './wait-for';

const ROOT = join(__dirname, '../..');
const LIBS = join(ROOT, '.kafka/libs');
const TEMPLATE = join(ROOT, 'infra/kafka/cluster-node.properties');
const LOG4J = join(ROOT, 'infra/kafka/log4j.properties');
const STARTED = 'Kafka Server started';

/**
 * A SIGKILLed broker is fenced, and its partitions get new leaders, about 3 s after its last
 * heartbeat instead of Kafka's 9 s (which `scripts/infra.sh cluster up` keeps). Pass
 * `properties: {}` to startCluster to run with Kafka's defaults.
 */
export const FAST_FAILOVER: Readonly<Record<string, string>> = {
  'broker.heartbeat.interval.ms': '500',
  'broker.session.timeout.ms': '3000',
};

/**
 * A modest heap, the serial collector (fewer threads than G1: several JVMs share two cores) and the
 * C1 compiler only, which starts a broker noticeably faster at a cost in peak throughput.
 */
export const TEST_JVM_OPTIONS: readonly string[] = [
  '-Xms64m',
  '-Xmx384m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
];

export interface StartClusterOptions {
  brokers: 1 | 3;
  /** Broker properties added to (or overriding) the template's for every node; default FAST_FAILOVER. */
  properties?: Record<string, string>;
  /** JVM options of each node; default TEST_JVM_OPTIONS. */
  jvmOptions?: readonly string[];
  /** How long a node may take to serve after it is started; default 90 s. */
  startTimeoutMs?: number;
}

export interface KafkaCluster {
  /** `127.0.0.1:<port>` of every node, for kafkajs's `brokers`. */
  readonly bootstrap: string[];
  /** 1..n. */
  readonly nodeIds: number[];
  /** The temp dir holding every node's data, properties and logs. */
  readonly dir: string;
  /** Sends `signal` to a node and waits until its process has exited (a SIGTERM gets 30 s, then SIGKILL). */
  kill(nodeId: number, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a node again (stopping it with SIGTERM first if it runs) on its ports and data, and waits until it serves and the cluster counts it. */
  restart(nodeId: number): Promise<void>;
  /** Kills every node and deletes the temp dir (kept if `showLogsOnFailure` saw a failure). */
  stop(): Promise<void>;
  /** The node id leading a partition, as the cluster's metadata says now (-1 while it has none). */
  leaderOf(topic: string, partition: number): Promise<number>;
  /** The in-sync replicas of a partition, sorted. */
  isr(topic: string, partition: number): Promise<number[]>;
  isRunning(nodeId: number): boolean;
  /** The last `lines` lines of each node's (or one node's) server and stdout logs. */
  logs(nodeId?: number, lines?: number): string;
  /** Runs `body`; if it throws, the nodes' logs are appended to the error and the temp dir is kept. */
  showLogsOnFailure<T>(body: () => Promise<T>): Promise<T>;
}

interface Node {
  id: number;
  brokerPort: number;
  controllerPort: number;
  dir: string;
  child?: ChildProcess;
  exited?: Promise<unknown>;
}

/** Starts `brokers` nodes in parallel and resolves once every one serves and the cluster counts all. */
export async function startCluster(options: StartClusterOptions): Promise<KafkaCluster> {
  if (!existsSync(join(LIBS, '.version'))) {
    throw new Error(
      `Kafka jars missing in ${LIBS}: run \`bash scripts/infra.sh up\` (or \`bash scripts/infra.sh assemble\`) once`,
    );
  }
  const cluster = new DisposableCluster(options);
  try {
    await cluster.start();
  } catch (error) {
    await cluster.stop({ keep: true });
    throw withLogs(error, cluster);
  }
  return cluster;
}

class DisposableCluster implements KafkaCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'vowchat-kafka-'));
  readonly nodeIds: number[];
  bootstrap: string[] = [];
  private nodes = new Map<number, Node>();
  private readonly properties: Record<string, string>;
  private readonly jvmOptions: readonly string[];
  private readonly startTimeoutMs: number;
  private watchdog?: ChildProcess;
  private failed = false;
  private readonly killAllSync = () => {
    for (const node of this.nodes.values()) node.child?.kill('SIGKILL');
  };

  constructor(options: StartClusterOptions) {
    this.nodeIds = Array.from({ length: options.brokers }, (_, i) => i + 1);
    this.properties = options.properties ?? FAST_FAILOVER;
    this.jvmOptions = options.jvmOptions ?? TEST_JVM_OPTIONS;
    this.startTimeoutMs = options.startTimeoutMs ?? 90_000;
  }

  async start(): Promise<void> {
    const ports = await distinctFreePorts(this.nodeIds.length * 2);
    for (const id of this.nodeIds) {
      const node: Node = {
        id,
        brokerPort: ports[(id - 1) * 2],
        controllerPort: ports[(id - 1) * 2 + 1],
        dir: join(this.dir, `node-${id}`),
      };
      mkdirSync(join(node.dir, 'logs'), { recursive: true });
      this.nodes.set(id, node);
    }
    this.bootstrap = [...this.nodes.values()].map((n) => `127.0.0.1:${n.brokerPort}`);
    const voters = [...this.nodes.values()].map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
    const factor = Math.min(3, this.nodeIds.length);
    const template = readFileSync(TEMPLATE, 'utf8');
    for (const node of this.nodes.values()) {
      const text = Object.entries({
        NODE_ID: String(node.id),
        VOTERS: voters,
        BROKER_PORT: String(node.brokerPort),
        CONTROLLER_PORT: String(node.controllerPort),
        LOG_DIR: join(node.dir, 'data'),
        REPLICATION_FACTOR: String(factor),
        MIN_INSYNC_REPLICAS: String(Math.max(1, factor - 1)),
      }).reduce((t, [name, value]) => t.replaceAll(`@${name}@`, value), template);
      const overrides = Object.entries(this.properties).map(([k, v]) => `${k}=${v}\n`);
      writeFileSync(this.propsOf(node), text + overrides.join(''));
    }
    const clusterId = kafkaUuid();
    await Promise.all([...this.nodes.values()].map((node) => this.format(node, clusterId)));
    this.startWatchdog();
    process.on('exit', this.killAllSync);
    await Promise.all([...this.nodes.values()].map((node) => this.launch(node)));
    await this.waitUntilCounted(this.nodeIds);
  }

  async kill(nodeId: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.node(nodeId);
    const { child, exited } = node;
    if (!child || !exited || !this.isRunning(nodeId)) return;
    child.kill(signal);
    const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  async restart(nodeId: number): Promise<void> {
    await this.kill(nodeId, 'SIGTERM');
    try {
      await this.launch(this.node(nodeId));
      await this.waitUntilCounted([nodeId]);
    } catch (error) {
      throw withLogs(error, this);
    }
  }

  async stop({ keep = this.failed }: { keep?: boolean } = {}): Promise<void> {
    await Promise.all(this.nodeIds.map((id) => this.kill(id)));
    process.off('exit', this.killAllSync);
    this.watchdog?.kill('SIGKILL');
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }

  async leaderOf(topic: string, partition: number): Promise<number> {
    return (await this.partition(topic, partition)).leader;
  }

  async isr(topic: string, partition: number): Promise<number[]> {
    return [...(await this.partition(topic, partition)).isr].sort((a, b) => a - b);
  }

  isRunning(nodeId: number): boolean {
    const { child } = this.node(nodeId);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  logs(nodeId?: number, lines = 40): string {
    const ids = nodeId === undefined ? this.nodeIds : [nodeId];
    return ids
      .flatMap((id) =>
        ['server.log', 'stdout.log'].map((file) => {
          const path = join(this.node(id).dir, 'logs', file);
          const text = existsSync(path) ? readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines) : [];
          return `--- node ${id} ${file} (last ${lines} lines) ---\n${text.join('\n')}`;
        }),
      )
      .join('\n');
  }

  async showLogsOnFailure<T>(body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      this.failed = true;
      throw withLogs(error, this);
    }
  }

  private node(nodeId: number): Node {
    const node = this.nodes.get(nodeId);
    if (!node) throw new Error(`no node ${nodeId} in this cluster (nodes ${this.nodeIds.join(', ')})`);
    return node;
  }

  private propsOf(node: Node): string {
    return join(node.dir, 'server.properties');
  }

  private javaArgs(node: Node): string[] {
    return [
      ...this.jvmOptions,
      `-Dlog4j.configuration=file:${LOG4J}`,
      `-Dkafka.logs.dir=${join(node.dir, 'logs')}`,
      '-cp',
      join(LIBS, '*'),
    ];
  }

  /** kafka-storage format, as scripts/infra.sh does it. */
  private async format(node: Node, clusterId: string): Promise<void> {
    const args = [
      ...this.javaArgs(node),
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      this.propsOf(node),
    ];
    try {
      await promisify(execFile)('java', args, { cwd: node.dir });
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`formatting node ${node.id} failed: ${String(error)}\n${stdout}${stderr}`);
    }
  }

  /** Spawns a node's JVM and waits until its log says it serves (since this launch). */
  private async launch(node: Node): Promise<void> {
    const serverLog = join(node.dir, 'logs', 'server.log');
    const from = existsSync(serverLog) ? statSync(serverLog).size : 0;
    const out = openSync(join(node.dir, 'logs', 'stdout.log'), 'a');
    const child = spawn('java', [...this.javaArgs(node), 'kafka.Kafka', this.propsOf(node)], {
      cwd: node.dir,
      stdio: ['ignore', out, out],
    });
    closeSync(out); // the child holds its own copy
    const pidFile = join(node.dir, 'kafka.pid');
    writeFileSync(pidFile, String(child.pid));
    node.child = child;
    node.exited = once(child, 'exit').then(() => rmSync(pidFile, { force: true }));
    // Not waitFor: it would poll on past an exit until its deadline, and an exit is final.
    const deadline = Date.now() + this.startTimeoutMs;
    while (!readFrom(serverLog, from).includes(STARTED)) {
      if (!this.isRunning(node.id)) {
        throw new Error(`node ${node.id} exited (${child.exitCode ?? child.signalCode}) during start-up`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `node ${node.id} (127.0.0.1:${node.brokerPort}) did not log "${STARTED}" in ${this.startTimeoutMs} ms`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Waits until the cluster's metadata lists every node of `ids` as a broker. */
  private async waitUntilCounted(ids: number[]): Promise<void> {
    await waitFor(
      `the cluster to count broker(s) ${ids.join(', ')}`,
      () =>
        this.withAdmin(async (admin) => {
          const counted = new Set((await admin.describeCluster()).brokers.map((b) => b.nodeId));
          return ids.every((id) => counted.has(id));
        }),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
  }

  private async partition(topic: string, partition: number) {
    const { topics } = await this.withAdmin((admin) => admin.fetchTopicMetadata({ topics: [topic] }));
    const found = topics[0]?.partitions.find((p) => p.partitionId === partition);
    if (!found) throw new Error(`no partition ${topic}/${partition} in the cluster's metadata`);
    return found;
  }

  private async withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
    const live = this.nodeIds
      .filter((id) => this.isRunning(id))
      .map((id) => `127.0.0.1:${this.node(id).brokerPort}`);
    const admin = new Kafka({
      clientId: 'kafka-cluster-helper',
      brokers: live.length > 0 ? live : this.bootstrap,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1_000,
      retry: { retries: 2, initialRetryTime: 100 },
    }).admin();
    await admin.connect();
    try {
      return await use(admin);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * A shell that outlives this process by at most a second: if the test process dies without
   * stopping the cluster (a crash, a SIGKILL of jest), it kills the nodes and deletes the temp dir.
   */
  private startWatchdog(): void {
    const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
for f in "$1"/node-*/kafka.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; done
rm -rf "$1"`;
    this.watchdog = spawn('bash', ['-c', script, 'kafka-cluster-watchdog', this.dir], {
      detached: true,
      stdio: 'ignore',
    });
    this.watchdog.unref();
  }
}

function readFrom(path: string, offset: number): string {
  if (!existsSync(path)) return '';
  return readFileSync(path).subarray(offset).toString('utf8');
}

function withLogs(error: unknown, cluster: KafkaCluster): Error {
  const wrapped = error instanceof Error ? error : new Error(String(error));
  wrapped.message += `\n\nKafka node logs (kept in ${cluster.dir}):\n${cluster.logs()}`;
  return wrapped;
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** A Kafka Uuid (16 random bytes, unpadded base64url) that does not start with '-' (read as an option). */
function kafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
