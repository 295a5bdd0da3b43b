// docker-compose.yml and the Dockerfile, checked without a Docker engine: `docker-compose config`
// parses and validates the compose file, and the resolved services are held against what the apps
// actually read (their config loaders), the pinned Kafka version and the package.json start scripts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { load } from 'js-yaml';
import type { Env } from '@vowchat/platform';
import { loadDispatcherConfig } from '../apps/dispatcher/src/config';
import { loadProducerConfig } from '../apps/producer/src/config';

const ROOT = join(__dirname, '..');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  ports?: { published: number | string; target: number | string }[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  restart?: string;
  /** `source:target[:mode]` (docker-compose 1.x) or the long syntax (Compose v2). */
  volumes?: (string | { type?: string; source?: string; target: string; read_only?: boolean })[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** The compose file as docker-compose resolves it, with only the file's own defaults interpolated. */
function composeConfig(): ComposeFile {
  // An empty env file: a developer's .env must not change what is checked.
  const dir = mkdtempSync(join(tmpdir(), 'compose-test-'));
  const emptyEnvFile = join(dir, 'empty.env');
  writeFileSync(emptyEnvFile, '');
  let output: string;
  try {
    output = execFileSync(
      'docker-compose',
      ['--env-file', emptyEnvFile, '-f', 'docker-compose.yml', 'config'],
      // Only PATH and HOME, so variables of the test's own environment do not leak into the file.
      { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } },
    );
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error(
        'docker-compose is not installed: run `bash scripts/ensure-docker-compose.sh` (installs Debian’s package) and run the tests again',
      );
    throw new Error(`docker-compose rejected docker-compose.yml:\n${e.stderr ?? e.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return load(output) as ComposeFile;
}

function readRepoFile(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** A service's environment as the container would see it: every value a string. */
function envOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([name, value]) => [name, String(value ?? '')]),
  );
}

/** Wraps an environment so the names a config loader reads are recorded. */
function recordingEnv(env: Record<string, string>): { env: Env; read: Set<string> } {
  const read = new Set<string>();
  const proxy = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') read.add(name);
      return Reflect.get(target, name) as unknown;
    },
  });
  return { env: proxy, read };
}

const APPS = ['dispatcher', 'producer'] as const;
const LONG_RUNNING = ['kafka', 'postgres', 'dispatcher', 'producer', 'prometheus', 'grafana'] as const;

let compose: ComposeFile;
let services: Record<string, ComposeService>;

beforeAll(() => {
  compose = composeConfig();
  services = compose.services;
});

describe('docker-compose.yml', () => {
  it('defines kafka, postgres, the one-shot topics job, the dispatcher, the producer, prometheus and grafana', () => {
    expect(Object.keys(services).sort()).toEqual([
      'dispatcher',
      'grafana',
      'kafka',
      'postgres',
      'producer',
      'prometheus',
      'topics',
    ]);
  });

  it('runs the Kafka image of the version pinned in infra/kafka/pom.xml', () => {
    const pinned = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readRepoFile('infra/kafka/pom.xml'))?.[1];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(services.kafka.image).toBe(`apache/kafka:${pinned}`);
  });

  it('runs Kafka as a single KRaft node that never auto-creates topics', () => {
    const env = envOf(services.kafka);
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${env.KAFKA_NODE_ID}@kafka:9093`);
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
    for (const name of [
      'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR',
    ])
      expect({ [name]: env[name] }).toEqual({ [name]: '1' });
  });

  it('points every app at a listener Kafka advertises inside the compose network', () => {
    const advertised = envOf(services.kafka)
      .KAFKA_ADVERTISED_LISTENERS.split(',')
      .map((listener) => listener.replace(/^[A-Z_]+:\/\//, ''));
    for (const name of ['topics', ...APPS]) {
      const brokers = envOf(services[name]).KAFKA_BROKERS.split(',');
      expect({ service: name, brokers }).toEqual({ service: name, brokers: ['kafka:9092'] });
    }
    expect(advertised).toContain('kafka:9092');
    expect(advertised).toContain('localhost:29092');
    expect(services.kafka.ports?.map((p) => Number(p.published))).toEqual([29092]);
  });

  it('gives every long-running service a health check', () => {
    for (const name of LONG_RUNNING) {
      const check = services[name].healthcheck;
      expect({ service: name, disabled: check?.disable ?? false }).toEqual({
        service: name,
        disabled: false,
      });
      expect(check?.test?.[0]).toMatch(/^CMD(-SHELL)?$/);
    }
    expect(services.kafka.healthcheck?.test?.join(' ')).toContain(
      '/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092',
    );
    expect(services.postgres.healthcheck?.test).toContain('pg_isready');
  });

  it('probes each app on its own /health, at the port the app listens on', () => {
    for (const [name, port] of [
      ['dispatcher', 3001],
      ['producer', 3000],
    ] as const) {
      const probe = services[name].healthcheck?.test?.join(' ');
      expect(probe).toContain(`http://127.0.0.1:${port}/health`);
      expect(envOf(services[name]).PORT).toBe(String(port));
    }
  });

  it('publishes the dispatcher on 3001 and the producer on 3000', () => {
    const ports = (name: string) =>
      services[name].ports?.map((p) => ({ published: Number(p.published), target: Number(p.target) }));
    expect(ports('dispatcher')).toEqual([{ published: 3001, target: 3001 }]);
    expect(ports('producer')).toEqual([{ published: 3000, target: 3000 }]);
  });

  it('starts the dispatcher only once Kafka and Postgres are healthy and the topics exist', () => {
    expect(services.dispatcher.depends_on).toEqual({
      kafka: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
      topics: { condition: 'service_completed_successfully' },
    });
    expect(services.producer.depends_on).toEqual({
      kafka: { condition: 'service_healthy' },
      topics: { condition: 'service_completed_successfully' },
    });
    expect(services.topics.depends_on).toEqual({ kafka: { condition: 'service_healthy' } });
  });

  it('creates the topics once with the app image and scripts/create-topics.js', () => {
    expect(services.topics.command).toEqual(['node', 'scripts/create-topics.js']);
    expect(services.topics.image).toBe(services.dispatcher.image);
    expect(services.topics.restart).toBe('no');
    expect(readRepoFile('Dockerfile')).toMatch(/^COPY scripts\/create-topics\.js /m);
  });

  it('runs both apps from one image, with the commands of the package.json start scripts', () => {
    const scripts = (JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const name of APPS) {
      expect(services[name].image).toBe(services.producer.image);
      expect(services[name].build).toBeDefined();
      expect(services[name].command?.join(' ')).toBe(scripts[`start:${name}`]);
    }
  });

  it('gives the dispatcher an environment its config accepts and reads in full', () => {
    const { env, read } = recordingEnv(envOf(services.dispatcher));
    const config = loadDispatcherConfig(env);
    const unread = Object.keys(envOf(services.dispatcher)).filter((name) => !read.has(name));
    expect(unread).toEqual([]);
    expect(config.port).toBe(3001);
    expect(config.kafka.brokers).toEqual(['kafka:9092']);
    expect(config.allowInsecureUrls).toBe(false);
    // The database the dispatcher connects to is the one the postgres service creates.
    const db = envOf(services.postgres);
    const url = new URL(config.database.url);
    expect({ host: url.host, db: url.pathname, user: url.username, password: url.password }).toEqual({
      host: 'postgres:5432',
      db: `/${db.POSTGRES_DB}`,
      user: db.POSTGRES_USER,
      password: db.POSTGRES_PASSWORD,
    });
  });

  it('gives the producer an environment its config accepts and reads in full', () => {
    const { env, read } = recordingEnv(envOf(services.producer));
    const config = loadProducerConfig(env);
    const unread = Object.keys(envOf(services.producer)).filter((name) => !read.has(name));
    expect(unread).toEqual([]);
    expect(config.port).toBe(3000);
    expect(config.kafka.brokers).toEqual(['kafka:9092']);
  });

  it('has placeholder tokens that a deployment is expected to replace', () => {
    expect(envOf(services.dispatcher).DISPATCHER_API_TOKEN).toBe('change-me-dispatcher');
    expect(envOf(services.producer).PRODUCER_API_TOKEN).toBe('change-me-producer');
  });
});

describe('Dockerfile', () => {
  const dockerfile = readRepoFile('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const finalStage = stages[stages.length - 1] ?? '';

  it('builds on Node 20 in one stage and ships production dependencies only in the last', () => {
    expect(stages).toHaveLength(2);
    for (const stage of stages) expect(stage).toMatch(/^node:20-bookworm-slim\b/);
    expect(stages[0]).toMatch(/^RUN npm ci\b/m);
    expect(stages[0]).toMatch(/^RUN npm run build$/m);
    expect(finalStage).toMatch(/^RUN npm ci --omit=dev\b/m);
    expect(finalStage).toMatch(/^ENV NODE_ENV=production$/m);
    expect(finalStage).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
  });

  it('runs the final stage as a non-root user', () => {
    const users = [...finalStage.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    const last = users[users.length - 1].split(':')[0];
    expect(['root', '0']).not.toContain(last);
  });
});

interface Mount {
  /** A path in the repository (for a bind mount), or a named volume. */
  source: string;
  bind: boolean;
  target: string;
  readOnly: boolean;
}

/** A service's mounts, bind sources made relative to the repository. */
function mountsOf(service: ComposeService): Mount[] {
  return (service.volumes ?? []).map((volume) => {
    let source: string;
    let target: string;
    let readOnly: boolean;
    if (typeof volume === 'string') {
      const [src, tgt, mode] = volume.split(':');
      [source, target, readOnly] = [src, tgt, mode === 'ro'];
    } else {
      [source, target, readOnly] = [volume.source ?? '', volume.target, volume.read_only === true];
    }
    const bind = source.startsWith('/') || source.startsWith('.');
    return {
      source: bind ? relative(ROOT, join(ROOT, source.replace(ROOT, ''))) : source,
      bind,
      target,
      readOnly,
    };
  });
}

/** The repository path a container path comes from, through the service's bind mounts. */
function hostPathOf(service: ComposeService, containerPath: string): string | undefined {
  for (const m of mountsOf(service).filter((mount) => mount.bind)) {
    if (containerPath === m.target) return m.source;
    if (containerPath.startsWith(`${m.target}/`))
      return join(m.source, containerPath.slice(m.target.length + 1));
  }
  return undefined;
}

function readYaml<T>(path: string): T {
  return load(readRepoFile(path)) as T;
}

describe('Prometheus and Grafana in docker-compose.yml', () => {
  interface PrometheusConfig {
    rule_files: string[];
    scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
  }
  interface Datasource {
    name: string;
    uid: string;
    type: string;
    url: string;
    user?: string;
    jsonData?: { database?: string };
    secureJsonData?: { password?: string };
  }

  it("mounts the repository's Prometheus config and rules read-only, and keeps its data in a volume", () => {
    const mounts = mountsOf(services.prometheus);
    expect(mounts.filter((m) => m.bind)).toEqual([
      {
        source: 'monitoring/prometheus/prometheus.yml',
        bind: true,
        target: '/etc/prometheus/prometheus.yml',
        readOnly: true,
      },
      { source: 'monitoring/prometheus/rules', bind: true, target: '/etc/prometheus/rules', readOnly: true },
    ]);
    expect(mounts.find((m) => !m.bind)).toMatchObject({ source: 'prometheus-data', target: '/prometheus' });
    expect(services.prometheus.command).toEqual(
      expect.arrayContaining([
        '--config.file=/etc/prometheus/prometheus.yml',
        '--storage.tsdb.path=/prometheus',
      ]),
    );
  });

  it("loads every rules file of monitoring/prometheus/rules through the config's rule_files", () => {
    const config = readYaml<PrometheusConfig>('monitoring/prometheus/prometheus.yml');
    const loaded = config.rule_files.flatMap((pattern) => {
      const host = hostPathOf(services.prometheus, posix.dirname(pattern));
      if (host === undefined) return [];
      const glob = new RegExp(`^${posix.basename(pattern).replace(/\./g, '\\.').replace(/\*/g, '.*')}$`);
      return readdirSync(join(ROOT, host))
        .filter((name) => glob.test(name))
        .map((name) => join(host, name));
    });
    const rulesDir = 'monitoring/prometheus/rules';
    expect(loaded.sort()).toEqual(
      readdirSync(join(ROOT, rulesDir))
        .map((name) => join(rulesDir, name))
        .sort(),
    );
    expect(loaded.length).toBeGreaterThan(0);
  });

  it('scrapes /metrics of the dispatcher and the producer at their service names and ports, under the jobs the rules name', () => {
    const config = readYaml<PrometheusConfig>('monitoring/prometheus/prometheus.yml');
    const jobs = Object.fromEntries(
      config.scrape_configs.map((c) => [
        c.job_name,
        { path: c.metrics_path ?? '/metrics', targets: c.static_configs.flatMap((s) => s.targets) },
      ]),
    );
    for (const [job, app] of [
      ['vowchat-dispatcher', 'dispatcher'],
      ['vowchat-producer', 'producer'],
    ] as const)
      expect({ job, ...jobs[job] }).toEqual({
        job,
        path: '/metrics',
        targets: [`${app}:${envOf(services[app]).PORT}`],
      });
    const rules = readRepoFile('monitoring/prometheus/rules/vowchat.rules.yml');
    expect(rules).toContain('job="vowchat-dispatcher"');
    expect(rules).toContain('vowchat-producer');
  });

  it('publishes Prometheus on 9090 and Grafana on 3002, clear of every other published port', () => {
    const ports = (name: string) =>
      services[name].ports?.map((p) => ({ published: Number(p.published), target: Number(p.target) }));
    expect(ports('prometheus')).toEqual([{ published: 9090, target: 9090 }]);
    expect(ports('grafana')).toEqual([{ published: 3002, target: 3000 }]);
    const published = Object.values(services).flatMap((s) => s.ports?.map((p) => Number(p.published)) ?? []);
    expect(new Set(published).size).toBe(published.length);
  });

  it('provisions Grafana from the repository: datasources, the dashboard provider and its dashboards', () => {
    const mounts = mountsOf(services.grafana);
    expect(mounts.filter((m) => m.bind)).toEqual([
      {
        source: 'monitoring/grafana/provisioning',
        bind: true,
        target: '/etc/grafana/provisioning',
        readOnly: true,
      },
      {
        source: 'monitoring/grafana/dashboards',
        bind: true,
        target: '/etc/grafana/dashboards',
        readOnly: true,
      },
    ]);
    for (const m of mounts.filter((mount) => mount.bind)) expect(existsSync(join(ROOT, m.source))).toBe(true);
    // The provider reads the folder the dashboards are mounted at; the home dashboard is one of them.
    const provider = readYaml<{ providers: { type: string; options: { path: string } }[] }>(
      'monitoring/grafana/provisioning/dashboards/vowchat.yml',
    ).providers[0];
    expect(provider.type).toBe('file');
    const dashboardsDir = hostPathOf(services.grafana, provider.options.path);
    expect(dashboardsDir).toBe('monitoring/grafana/dashboards');
    const home = hostPathOf(
      services.grafana,
      envOf(services.grafana).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH,
    );
    expect(home !== undefined && statSync(join(ROOT, home)).isFile()).toBe(true);
    expect(services.grafana.depends_on).toEqual({
      prometheus: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
    });
  });

  it("points Grafana's datasources at the prometheus service and at the dispatcher's database, and the dashboard at those datasources", () => {
    const datasources = readYaml<{ datasources: Datasource[] }>(
      'monitoring/grafana/provisioning/datasources/vowchat.yml',
    ).datasources;
    const prometheus = datasources.find((d) => d.type === 'prometheus');
    const postgres = datasources.find((d) => d.type === 'postgres');
    expect(prometheus?.url).toBe(`http://prometheus:${services.prometheus.ports?.[0].target}`);
    const db = envOf(services.postgres);
    const dispatcherDb = new URL(envOf(services.dispatcher).DATABASE_URL);
    expect(postgres?.url).toBe(dispatcherDb.host);
    expect(postgres?.jsonData?.database).toBe(db.POSTGRES_DB);
    expect(postgres?.user).toBe(db.POSTGRES_USER);
    // The password comes from Grafana's environment, which holds the postgres service's.
    const variable = /^\$\{(\w+)\}$/.exec(postgres?.secureJsonData?.password ?? '')?.[1] ?? '';
    expect(envOf(services.grafana)[variable]).toBe(db.POSTGRES_PASSWORD);
    // Every datasource a dashboard names is provisioned, with the same type.
    const provisioned = new Map(datasources.map((d) => [d.uid, d.type]));
    const dashboardsDir = 'monitoring/grafana/dashboards';
    let refs = 0;
    for (const file of readdirSync(join(ROOT, dashboardsDir))) {
      const text = readRepoFile(join(dashboardsDir, file));
      for (const [, type, uid] of text.matchAll(
        /"datasource":\s*\{\s*"type":\s*"([^"]+)",\s*"uid":\s*"([^"]+)"/g,
      ))
        if (type !== 'grafana') {
          refs++;
          expect({ file, uid, type: provisioned.get(uid) }).toEqual({ file, uid, type });
        }
    }
    expect(refs).toBeGreaterThan(10);
  });
});
