// Signing secrets encrypted at rest (docs/decisions/0017-secrets-at-rest.md), end to end with spawned
// dispatchers on the real Kafka and Postgres: what Postgres and the compacted webhooks topic hold,
// deliveries verified at a real receiver, a tampered value refused, a key rotation with
// secrets:reencrypt, the boot-time sealing of plaintext rows, and no secret in any log line.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { exampleEvent, generateSecret, verifyWebhook, type EventPublisher } from '@vowchat/events';
import { encodeWebhookChange, upsertChange } from '../apps/dispatcher/src/registry/webhook-change';
import { DATABASE_URL } from './support/infra';
import { freePort } from './support/names';
import { startReceiver, type Receiver } from './support/receiver';
import {
  api,
  cleanUp,
  connectPublisher,
  createWebhook,
  dispatcherEnv,
  newSystemNames,
  spawnDispatcher,
  type CreatedWebhook,
  type SpawnedDispatcher,
} from './support/system';
import { waitFor } from './support/wait-for';

const run = promisify(execFile);
const ROOT = join(__dirname, '..');
const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64');

interface RawRecord {
  partition: number;
  offset: string;
  key: string;
  value: string;
}

/** Every record of `topic` up to its end offsets now. */
async function readTopic(kafka: Kafka, topic: string): Promise<RawRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic)).map((p) => [
      p.partition,
      { low: BigInt(p.low), high: BigInt(p.high) },
    ]),
  );
  await admin.disconnect();
  const records: RawRecord[] = [];
  const consumer = kafka.consumer({ groupId: `read-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const next = new Map([...ends].map(([p, { low }]) => [p, low]));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      next.set(partition, BigInt(message.offset) + 1n);
      if (BigInt(message.offset) < ends.get(partition)!.high)
        records.push({
          partition,
          offset: message.offset,
          key: message.key!.toString(),
          value: message.value!.toString(),
        });
    },
  });
  await waitFor('the webhooks topic read to its end', () =>
    [...ends].every(([p, { high }]) => next.get(p)! >= high),
  );
  await consumer.disconnect();
  return records;
}

/** The latest record of every key. */
function latestByKey(records: RawRecord[]): Map<string, Record<string, unknown>> {
  const latest = new Map<string, Record<string, unknown>>();
  for (const r of records) latest.set(r.key, JSON.parse(r.value) as Record<string, unknown>);
  return latest;
}

describe('signing secrets at rest', () => {
  const names = newSystemNames();
  const accountId = 800_000 + Math.floor(Math.random() * 100_000);
  const logDir = mkdtempSync(join(tmpdir(), 'secrets-at-rest-'));
  const keysA = `ka:${KEY_A}`;
  const keysBA = `kb:${KEY_B},ka:${KEY_A}`;
  const keysB = `kb:${KEY_B}`;
  const envWith = (keys: string) =>
    dispatcherEnv(names, {
      SECRET_ENCRYPTION_KEYS: keys,
      LOG_LEVEL: 'debug',
      // An endpoint is failing after one failed attempt, so an operational webhook comes quickly.
      ENDPOINT_FAILING_AFTER_ATTEMPTS: '1',
      ENDPOINT_LIFECYCLE_CHECK_MS: '100',
      RETRY_SCHEDULE_MS: '100',
      BREAKER_VOLUME_THRESHOLD: '1000',
    });
  /** Secrets the API has shown, every one of which must stay out of the logs. */
  const secrets: string[] = [];
  /** Output of commands and failed boots, checked for secrets with the log files. */
  const outputs: string[] = [];
  let receiver: Receiver;
  let kafka: Kafka;
  let publisher: EventPublisher;
  let db: Client;
  let dispatcher: SpawnedDispatcher | undefined;
  let hookA: CreatedWebhook;
  let secretA2: string;
  let hookB: CreatedWebhook;
  let opsSecret: string;
  let spawned = 0;

  const start = async (keys: string) => {
    spawned += 1;
    dispatcher = await spawnDispatcher(envWith(keys), await freePort(), {
      logFile: join(logDir, `dispatcher-${spawned}.log`),
    });
    return dispatcher;
  };
  const stop = async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
  };
  const base = () => dispatcher!.baseUrl;
  const logs = () =>
    readdirSync(logDir)
      .map((f) => readFileSync(join(logDir, f), 'utf8'))
      .join('');
  const storedSecrets = async () =>
    (
      await db.query<{ id: string; secret: string; previous_secret: string | null }>(
        'SELECT id, secret, previous_secret FROM webhooks ORDER BY id',
      )
    ).rows;
  const storedOpsSecrets = async () =>
    (await db.query<{ secret: string }>('SELECT secret FROM operations_webhooks')).rows.map((r) => r.secret);
  /** Publishes one event and returns the request `path` received for it, verified with `secret`. */
  const deliverVerified = async (paths: { path: string; secret: string }[]) => {
    const before = new Map(paths.map(({ path }) => [path, receiver.requests(path).length]));
    const { eventId } = await publisher.publish(
      exampleEvent('message_created', { id: accountId, name: 'Secrets' }),
    );
    for (const { path, secret } of paths) {
      const [request] = (await receiver.waitForRequests(path, before.get(path)! + 1)).slice(-1);
      expect(request.headers['webhook-id']).toBe(eventId);
      expect(() => verifyWebhook(secret, request.headers, request.rawBody)).not.toThrow();
    }
  };
  const reencrypt = async (keys: string) => {
    const { stdout, stderr } = await run(
      process.execPath,
      ['dist/apps/dispatcher/src/secrets/reencrypt-secrets.js'],
      {
        cwd: ROOT,
        env: { ...process.env, ...envWith(keys) },
      },
    );
    outputs.push(stdout, stderr);
    return stdout;
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.behave('/fail', { kind: 'status', code: 500 });
    ({ kafka, publisher } = await connectPublisher(names));
    await start(keysA);
    db = new Client({ connectionString: DATABASE_URL, options: `-c search_path=${names.schema}` });
    await db.connect();
  }, 60_000);

  afterAll(async () => {
    await stop();
    await db?.end();
    await publisher?.disconnect();
    await receiver?.close();
    await cleanUp(names);
    rmSync(logDir, { recursive: true, force: true });
  });

  it('seals secrets in Postgres and on the webhooks topic; deliveries verify at a real receiver', async () => {
    hookA = await createWebhook(base(), accountId, receiver.url('/a'), ['message_created']);
    const rotated = await api(
      base(),
      'POST',
      `/api/v1/accounts/${accountId}/webhooks/${hookA.id}/rotate-secret`,
    );
    expect(rotated.status).toBe(200);
    secretA2 = rotated.body.payload.webhook.secret;
    hookB = await createWebhook(base(), accountId, receiver.url('/b'), ['message_created']);
    const ops = await api(base(), 'PUT', `/api/v1/accounts/${accountId}/operations-webhook`, {
      url: receiver.url('/ops'),
    });
    expect(ops.status).toBe(200);
    opsSecret = ops.body.payload.operations_webhook.secret;
    secrets.push(hookA.secret, secretA2, hookB.secret, opsSecret);
    for (const s of secrets) expect(s).toMatch(/^whsec_/);

    const rows = await storedSecrets();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.secret).toMatch(/^v1:ka:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
      if (row.id === hookA.id) expect(row.previous_secret).toMatch(/^v1:ka:/);
      else expect(row.previous_secret).toBeNull();
    }
    expect(await storedOpsSecrets()).toEqual([expect.stringMatching(/^v1:ka:/)]);
    const stored = JSON.stringify(rows) + JSON.stringify(await storedOpsSecrets());
    expect(stored).not.toContain('whsec_');

    const records = await readTopic(kafka, names.topics.webhooks);
    expect(records.length).toBeGreaterThanOrEqual(3); // create, rotate, create
    for (const r of records) {
      expect(r.value).not.toContain('whsec_');
      for (const s of secrets) expect(r.value).not.toContain(s.slice('whsec_'.length));
      expect(JSON.parse(r.value)).toMatchObject({ secret: expect.stringMatching(/^v1:ka:/) });
    }

    // During the rotation's grace both secrets sign /a; each verifies.
    await deliverVerified([
      { path: '/a', secret: secretA2 },
      { path: '/b', secret: hookB.secret },
    ]);
    const [lastA] = receiver.requests('/a').slice(-1);
    expect(() => verifyWebhook(hookA.secret, lastA.headers, lastA.rawBody)).not.toThrow();
  });

  it('refuses a tampered change record loudly and keeps signing with the stored secret', async () => {
    const latest = latestByKey(await readTopic(kafka, names.topics.webhooks)).get(hookB.id)!;
    const [v, id, iv, body] = (latest.secret as string).split(':');
    const bytes = Buffer.from(body, 'base64');
    bytes[0] ^= 0x01;
    const tampered = { ...latest, secret: [v, id, iv, bytes.toString('base64')].join(':'), version: 99 };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.webhooks,
      messages: [{ key: hookB.id, value: JSON.stringify(tampered) }],
    });
    await producer.disconnect();
    const refusal = await waitFor('the refusal in the log', () =>
      logs()
        .split('\n')
        .find((line) => line.includes('refused a webhook change whose secret does not open')),
    );
    expect(JSON.parse(refusal)).toMatchObject({
      level: 'error',
      reason: expect.stringContaining(`webhooks.secret:${hookB.id}: does not open under key "ka"`),
    });
    await deliverVerified([{ path: '/b', secret: hookB.secret }]);
  });

  it('refuses to start on a stored ciphertext moved to another row', async () => {
    const before = await storedSecrets();
    const b = before.find((r) => r.id === hookB.id)!;
    await db.query('UPDATE webhooks SET secret = $1 WHERE id = $2', [b.secret, hookA.id]);
    try {
      // Started directly: it exits at boot, so there is no /health to wait for.
      const failed = await run(process.execPath, ['dist/apps/dispatcher/src/main.js'], {
        cwd: ROOT,
        env: { ...process.env, ...envWith(keysA), PORT: String(await freePort()) },
      }).then(
        () => ({ code: 0, stderr: '', stdout: '' }),
        (error: { code: number; stderr: string; stdout: string }) => error,
      );
      outputs.push(failed.stdout, failed.stderr);
      expect(failed.code).toBe(1);
      const [line] = failed.stderr.split('\n').filter((l) => l.includes('failed to start'));
      expect(JSON.parse(line)).toMatchObject({
        msg: 'failed to start',
        error: `webhooks.secret:${hookA.id}: does not open under key "ka": the value was altered, or sealed for another field or row`,
      });
    } finally {
      const a = before.find((r) => r.id === hookA.id)!;
      await db.query('UPDATE webhooks SET secret = $1 WHERE id = $2', [a.secret, hookA.id]);
    }
  });

  it('rotates the key: new key first, secrets:reencrypt moves every row and record, then the old key goes', async () => {
    await stop();
    await start(keysBA);
    // Rows sealed under ka still open.
    await deliverVerified([
      { path: '/a', secret: secretA2 },
      { path: '/b', secret: hookB.secret },
    ]);
    const hookC = await createWebhook(base(), accountId, receiver.url('/c'), ['message_created']);
    secrets.push(hookC.secret);
    const rowsBefore = await storedSecrets();
    expect(rowsBefore.find((r) => r.id === hookC.id)!.secret).toMatch(/^v1:kb:/);
    expect(rowsBefore.find((r) => r.id === hookA.id)!.secret).toMatch(/^v1:ka:/);

    const first = await reencrypt(keysBA);
    expect(first).toContain('secrets:reencrypt: sealing under key "kb" (keys held: kb, ka)');
    expect(first).toContain('secrets:reencrypt: postgres webhooks: 2/2 rows');
    expect(first).toContain('secrets:reencrypt: postgres webhooks: 2 re-sealed (2 were not under "kb")');
    expect(first).toContain(
      'secrets:reencrypt: postgres operations_webhooks: 1 re-sealed (1 were not under "kb")',
    );
    expect(first).toMatch(/secrets:reencrypt: done in [\d.]+ s/);

    for (const row of await storedSecrets()) {
      expect(row.secret).toMatch(/^v1:kb:/);
      if (row.previous_secret !== null) expect(row.previous_secret).toMatch(/^v1:kb:/);
    }
    expect(await storedOpsSecrets()).toEqual([expect.stringMatching(/^v1:kb:/)]);
    const latest = latestByKey(await readTopic(kafka, names.topics.webhooks));
    expect([...latest.keys()].sort()).toEqual([hookA.id, hookB.id, hookC.id].sort());
    for (const record of latest.values()) {
      expect(record.secret).toMatch(/^v1:kb:/);
      if (record.previous_secret !== null) expect(record.previous_secret).toMatch(/^v1:kb:/);
    }

    const second = await reencrypt(keysBA);
    expect(second).toContain('postgres webhooks: 0 re-sealed (0 were not under "kb")');
    expect(second).toContain('postgres operations_webhooks: 0 re-sealed (0 were not under "kb")');
    expect(second).toMatch(/3 webhooks, 0 not under "kb"/);

    // The old key removed: everything still opens and signs.
    await stop();
    await start(keysB);
    await deliverVerified([
      { path: '/a', secret: secretA2 },
      { path: '/b', secret: hookB.secret },
      { path: '/c', secret: hookC.secret },
    ]);
    // The operations endpoint's secret opens too: a failing endpoint's operational webhook verifies.
    const failing = await createWebhook(base(), accountId, receiver.url('/fail'), ['conversation_created']);
    secrets.push(failing.secret);
    await publisher.publish(exampleEvent('conversation_created', { id: accountId, name: 'Secrets' }));
    const [notice] = await receiver.waitForRequests('/ops', 1);
    expect(() => verifyWebhook(opsSecret, notice.headers, notice.rawBody)).not.toThrow();
  });

  it('seals plaintext secrets stored before encryption at boot, and a second boot changes nothing', async () => {
    await stop();
    const legacySecret = generateSecret();
    const legacyOpsSecret = generateSecret();
    secrets.push(legacySecret, legacyOpsSecret);
    const legacy = {
      id: randomUUID(),
      accountId,
      name: 'legacy',
      url: receiver.url('/legacy'),
      subscriptions: ['message_created' as const],
      secret: legacySecret,
      previousSecret: null,
      previousSecretExpiresAt: null,
      enabled: true,
      disabledReason: null,
      rateLimitPerSecond: null,
      version: 1,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    await db.query(
      `INSERT INTO webhooks (id, account_id, name, url, subscriptions, secret, version) VALUES ($1, $2, $3, $4, $5, $6, 1)`,
      [legacy.id, accountId, legacy.name, legacy.url, legacy.subscriptions, legacySecret],
    );
    await db.query(
      `INSERT INTO operations_webhooks (account_id, url, secret, created_at, updated_at) VALUES ($1, $2, $3, now(), now())`,
      [accountId + 1, receiver.url('/ops-legacy'), legacyOpsSecret],
    );
    // What a dispatcher before encryption published: the secret in plaintext.
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: names.topics.webhooks,
      messages: [encodeWebhookChange(upsertChange(legacy))],
    });
    await producer.disconnect();

    await start(keysB);
    const sealed = await storedSecrets();
    expect(sealed.find((r) => r.id === legacy.id)!.secret).toMatch(/^v1:kb:/);
    const ops = await storedOpsSecrets();
    expect(ops).toHaveLength(2);
    for (const s of ops) expect(s).toMatch(/^v1:kb:/);
    const record = latestByKey(await readTopic(kafka, names.topics.webhooks)).get(legacy.id)!;
    expect(record.secret).toMatch(/^v1:kb:/);
    expect(record.version).toBe(1);
    await deliverVerified([{ path: '/legacy', secret: legacySecret }]);

    await stop();
    await start(keysB);
    expect(await storedSecrets()).toEqual(sealed);
    expect(await storedOpsSecrets()).toEqual(ops);
    expect(logs().match(/sealed signing secrets stored in plaintext/g)).toHaveLength(1);
  });

  it('writes no secret and no key into any log line', () => {
    const all = logs() + outputs.join('\n');
    expect(all).toContain('webhook created'); // the logs are there, at debug level
    expect(all).toContain('secrets:reencrypt: done');
    expect(all).not.toContain('whsec_');
    for (const s of secrets) expect(all).not.toContain(s.slice('whsec_'.length));
    for (const key of [KEY_A, KEY_B]) {
      expect(all).not.toContain(key);
      expect(all).not.toContain(Buffer.from(key, 'base64').toString('hex'));
    }
  });
});
