// docker-compose.yml and the Dockerfile, checked without a Docker engine: `docker-compose config`
// parses and validates the compose file, and the resolved services are held against what the apps
// actually read (their config loaders), the pinned Kafka version and the package.json start scripts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
const LONG_RUNNING = ['kafka', 'postgres', 'dispatcher', 'producer'] as const;

let compose: ComposeFile;
let services: Record<string, ComposeService>;

beforeAll(() => {
  compose = composeConfig();
  services = compose.services;
});

describe('docker-compose.yml', () => {
  it('defines kafka, postgres, the one-shot topics job, the dispatcher and the producer', () => {
    expect(Object.keys(services).sort()).toEqual(['dispatcher', 'kafka', 'postgres', 'producer', 'topics']);
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
