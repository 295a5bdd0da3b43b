// The monitoring of monitoring/, checked against real things. promtool checks the alert rules and
// runs their unit tests (monitoring/prometheus/tests). A real Prometheus (Debian's, installed by
// scripts/ensure-prometheus.sh; its own port, data directory and config, 1 s scrapes) scrapes a
// real dispatcher and producer on the real Kafka and Postgres while events flow through them to a
// real receiver, one endpoint of which fails hard; then every PromQL expression of the Grafana
// dashboard and of the recording rules is evaluated through Prometheus's HTTP API and must return
// data, and the dashboard's Postgres panels and variables run against the dispatcher's schema.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dump, load } from 'js-yaml';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import { exampleEvent, type VowChatEvent } from '@vowchat/events';
import { DATABASE_URL } from './support/infra';
import { freePort } from './support/names';
import { startProducer, type RunningProducer } from './support/producer-app';
import { startReceiver, type Receiver } from './support/receiver';
import {
  cleanUp,
  connectPublisher,
  createWebhook,
  dispatcherEnv,
  newSystemNames,
  startDispatcher,
  type CreatedWebhook,
  type Dispatcher,
  type SystemNames,
} from './support/system';
import { waitFor } from './support/wait-for';

const ROOT = join(__dirname, '..');
const RULES_FILE = join(ROOT, 'monitoring/prometheus/rules/vowchat.rules.yml');
const RULE_TESTS_DIR = join(ROOT, 'monitoring/prometheus/tests');
const DASHBOARD_FILE = join(ROOT, 'monitoring/grafana/dashboards/vowchat-webhooks.json');
const RUNBOOK_FILE = join(ROOT, 'docs/runbook.md');
const run = promisify(execFile);

// ---- the files under test, read once ----

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const ruleGroups = (load(readFileSync(RULES_FILE, 'utf8')) as { groups: { name: string; rules: Rule[] }[] })
  .groups;
const rules = ruleGroups.flatMap((g) => g.rules);
const recordingRules = rules.filter((r) => r.record !== undefined);
const alertRules = rules.filter((r) => r.alert !== undefined);

interface DashboardTarget {
  datasource: { type: string; uid: string };
  refId: string;
  expr?: string;
  rawSql?: string;
  format?: string;
}
interface DashboardPanel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: DashboardTarget[];
}
interface DashboardVariable {
  name: string;
  type: string;
  datasource: { type: string; uid: string };
  query: string | { query: string };
  allValue?: string;
}
const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
  title: string;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
};
const panelTargets = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => ({ panel: panel.title, target })),
);
const promTargets = panelTargets.filter((t) => t.target.datasource.type === 'prometheus');
const sqlTargets = panelTargets.filter((t) => t.target.datasource.type === 'postgres');
const variables = dashboard.templating.list;

// ---- promtool ----

async function promtool(args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: ROOT });
    return stdout + stderr;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error(
        'promtool is not installed: run `bash scripts/ensure-prometheus.sh` and run the tests again',
      );
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe('alert rules', () => {
  it('pass promtool check rules', async () => {
    expect(await promtool(['check', 'rules', RULES_FILE])).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('pass their unit tests (promtool test rules)', async () => {
    const files = readdirSync(RULE_TESTS_DIR)
      .filter((f) => f.endsWith('.test.yml'))
      .map((f) => join(RULE_TESTS_DIR, f));
    const output = await promtool(['test', 'rules', ...files]);
    expect(output.match(/SUCCESS/g)).toHaveLength(files.length);
  });

  it('have, for every alert, a unit test where it fires and one where it stays quiet', () => {
    const cases: { alertname: string; exp_alerts?: unknown[] }[] = readdirSync(RULE_TESTS_DIR)
      .filter((f) => f.endsWith('.test.yml'))
      .flatMap((f) => {
        const file = load(readFileSync(join(RULE_TESTS_DIR, f), 'utf8')) as {
          tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
        };
        return file.tests.flatMap((t) => t.alert_rule_test ?? []);
      });
    for (const { alert } of alertRules) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect({ alert, fires: mine.some((c) => (c.exp_alerts ?? []).length > 0) }).toEqual({
        alert,
        fires: true,
      });
      expect({ alert, quiet: mine.some((c) => (c.exp_alerts ?? []).length === 0) }).toEqual({
        alert,
        quiet: true,
      });
    }
  });

  it('give every alert a severity, a runbook section and a dashboard panel that exist', () => {
    const runbook = readFileSync(RUNBOOK_FILE, 'utf8');
    // GitHub's anchor of a heading "## Name" is the name in lower case.
    const anchors = new Set([...runbook.matchAll(/^#{2,3} (\S+)\s*$/gm)].map((m) => m[1].toLowerCase()));
    const panels = new Set(dashboard.panels.map((p) => p.title));
    for (const rule of alertRules) {
      const alert = rule.alert!;
      expect({ alert, severity: rule.labels?.severity }).toEqual({
        alert,
        severity: expect.stringMatching(/^(page|ticket)$/),
      });
      expect({ alert, runbook: rule.annotations?.runbook_url }).toEqual({
        alert,
        runbook: `docs/runbook.md#${alert.toLowerCase()}`,
      });
      expect({ alert, hasSection: anchors.has(alert.toLowerCase()) }).toEqual({ alert, hasSection: true });
      const panel = rule.annotations?.dashboard_panel ?? '';
      expect({ alert, panel, onDashboard: panels.has(panel) }).toEqual({ alert, panel, onDashboard: true });
    }
  });

  it('never alert on what a customer endpoint does (attempt outcomes, breakers, deferrals, disabled webhooks)', () => {
    const endpointSignals =
      /vowchat_delivery_attempts_total|vowchat_delivery_attempt_duration|vowchat_breaker|vowchat_deliveries_deferred|vowchat_deliveries_skipped|vowchat_webhooks_disabled|vowchat_delivery_end_to_end/;
    for (const { alert, expr } of alertRules)
      expect({ alert, expr }).toEqual({ alert, expr: expect.not.stringMatching(endpointSignals) });
  });
});

// ---- against a real Prometheus, dispatcher and producer ----

const ACCOUNT_OK = { id: 7_401, name: 'Monitoring OK' };
const ACCOUNT_FAILING = { id: 7_402, name: 'Monitoring failing' };
// Grafana's substitutions for a 1 s scrape interval: $__rate_interval is at least 4 scrapes.
const RATE_INTERVAL = '10s';

interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

describe('the dashboard and the rules against a real Prometheus scraping real apps', () => {
  let names: SystemNames;
  let receiver: Receiver;
  let dispatcher: Dispatcher;
  let producer: RunningProducer;
  let kafkaProducer: Producer;
  let publisherDisconnect: () => Promise<void>;
  let okWebhook: CreatedWebhook;
  let failingWebhook: CreatedWebhook;
  let prometheus: ChildProcess | undefined;
  let promUrl: string;
  let workDir: string;
  let promLog: string;
  let traffic: NodeJS.Timeout | undefined;
  let trafficSent = 0;
  let db: Client;

  /** Rethrows a failure with the tail of Prometheus's log (shown only when something fails). */
  async function withPromLog<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const log = existsSync(promLog) ? readFileSync(promLog, 'utf8').split('\n').slice(-40).join('\n') : '';
      (error as Error).message += `\n--- prometheus log (tail) ---\n${log}`;
      throw error;
    }
  }

  async function query(expr: string): Promise<PromSample[]> {
    const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: PromSample[] };
    };
    if (body.status !== 'success') throw new Error(`query refused: ${body.error} (${expr})`);
    if (body.data?.resultType !== 'vector') throw new Error(`not a vector: ${body.data?.resultType}`);
    return body.data.result;
  }

  /** Waits until the expression returns at least one sample that is a number (not NaN). */
  function expectData(expr: string, timeoutMs = 30_000): Promise<PromSample[]> {
    return withPromLog(() =>
      waitFor(
        `data from ${expr}`,
        async () => {
          const result = await query(expr);
          return result.some((s) => !Number.isNaN(Number(s.value[1]))) ? result : undefined;
        },
        { timeoutMs, intervalMs: 250 },
      ),
    );
  }

  function sendTraffic(): void {
    const post = (accountId: number, events: VowChatEvent[]) =>
      fetch(`${producer.url}/api/v1/accounts/${accountId}/events/batch`, {
        method: 'POST',
        headers: { api_access_token: producer.token, 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      }).then(
        (r) => void (r.ok ? (trafficSent += events.length) : undefined),
        () => undefined, // the test is ending
      );
    void post(ACCOUNT_OK.id, [
      exampleEvent('message_created', ACCOUNT_OK),
      exampleEvent('conversation_created', ACCOUNT_OK),
    ]);
    void post(ACCOUNT_FAILING.id, [exampleEvent('message_created', ACCOUNT_FAILING)]);
  }

  beforeAll(async () => {
    names = newSystemNames();
    receiver = await startReceiver();
    receiver.behave('/failing', { kind: 'status', code: 500 });
    const { kafka, publisher } = await connectPublisher(names);
    publisherDisconnect = () => publisher.disconnect();
    kafkaProducer = kafka.producer();
    await kafkaProducer.connect();
    dispatcher = await startDispatcher(
      // The failing endpoint's breaker opens after a few attempts, so deferrals show too.
      dispatcherEnv(names, { LOG_LEVEL: 'error', BREAKER_VOLUME_THRESHOLD: '4' }),
    );
    producer = await startProducer({
      topics: {
        conversations: names.topics.conversations,
        messages: names.topics.messages,
        typing: names.topics.typing,
      },
    });
    okWebhook = await createWebhook(dispatcher.baseUrl, ACCOUNT_OK.id, receiver.url('/ok'), [
      'message_created',
      'conversation_created',
    ]);
    failingWebhook = await createWebhook(dispatcher.baseUrl, ACCOUNT_FAILING.id, receiver.url('/failing'), [
      'message_created',
    ]);
    // A request the producer refuses.
    await fetch(`${producer.url}/api/v1/accounts/${ACCOUNT_OK.id}/events`, {
      method: 'POST',
      headers: { api_access_token: 'wrong-token', 'content-type': 'application/json' },
      body: JSON.stringify(exampleEvent('message_created', ACCOUNT_OK)),
    });
    sendTraffic();
    traffic = setInterval(sendTraffic, 200);

    // Prometheus with a config of its own: 1 s scrapes and rule evaluations, this test's apps.
    workDir = mkdtempSync(join(tmpdir(), 'monitoring-test-'));
    promLog = join(workDir, 'prometheus.log');
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const target = (url: string) => new URL(url).host;
    writeFileSync(
      join(workDir, 'prometheus.yml'),
      dump({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [RULES_FILE],
        scrape_configs: [
          { job_name: 'vowchat-dispatcher', static_configs: [{ targets: [target(dispatcher.baseUrl)] }] },
          { job_name: 'vowchat-producer', static_configs: [{ targets: [target(producer.url)] }] },
        ],
      }),
    );
    const logFd = openSync(promLog, 'a');
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(workDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(workDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', logFd, logFd] },
    );
    closeSync(logFd);
    const spawnError = new Promise<never>((_, reject) =>
      prometheus!.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'ENOENT'
            ? new Error(
                'prometheus is not installed: run `bash scripts/ensure-prometheus.sh` and run the tests again',
              )
            : e,
        ),
      ),
    );
    await withPromLog(() =>
      Promise.race([
        spawnError,
        waitFor(
          'prometheus to be ready',
          async () => {
            if (prometheus!.exitCode !== null) throw new Error(`prometheus exited ${prometheus!.exitCode}`);
            return (await fetch(`${promUrl}/-/ready`)).ok;
          },
          { timeoutMs: 20_000, intervalMs: 100 },
        ),
      ]),
    );

    db = new Client({ connectionString: DATABASE_URL });
    await db.connect();
    await db.query(`SET search_path TO "${names.schema}"`);
  });

  afterAll(async () => {
    if (traffic) clearInterval(traffic);
    if (prometheus && prometheus.exitCode === null) {
      const exited = once(prometheus, 'exit');
      prometheus.kill('SIGTERM');
      await exited;
    }
    await db?.end();
    await producer?.close();
    await dispatcher?.stop();
    await kafkaProducer?.disconnect();
    await publisherDisconnect?.();
    await receiver?.close();
    if (names) await cleanUp(names);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('scrapes both apps', async () => {
    await expectData('up{job="vowchat-dispatcher"} == 1');
    await expectData('up{job="vowchat-producer"} == 1');
    expect(trafficSent).toBeGreaterThan(0);
    // A record that is not an event, once the dead-letter counter has been scraped at 0 (an
    // increase is seen only from a scraped value).
    await kafkaProducer.send({
      topic: names.topics.messages,
      messages: [{ key: String(ACCOUNT_OK.id), value: 'not json' }],
    });
  });

  it.each(recordingRules.map((r) => [r.record!, r.expr]))(
    'recording rule %s returns data, evaluated and recorded',
    async (record, expr) => {
      const [sample] = await expectData(expr);
      // Every first attempt here is within 30 s: the SLI is 1.
      expect(Number(sample.value[1])).toBe(1);
      await expectData(record);
    },
  );

  const substituted = (expr: string) =>
    expr.replaceAll('$__rate_interval', RATE_INTERVAL).replaceAll('$instance', '.*');

  it.each(promTargets.map((t) => [t.panel, t.target.refId, t.target.expr!]))(
    'dashboard panel "%s" (%s) returns data',
    async (_panel, _refId, expr) => {
      const prepared = substituted(expr);
      expect(prepared).not.toMatch(/\$/); // every variable of the expression is known here
      await expectData(prepared);
    },
  );

  it('has a value for every dashboard variable that reads Prometheus', async () => {
    for (const variable of variables.filter((v) => v.datasource.type === 'prometheus')) {
      const definition = typeof variable.query === 'string' ? variable.query : variable.query.query;
      const [, selector, label] = /^label_values\((.+),\s*(\w+)\)$/.exec(definition) ?? [];
      expect({ variable: variable.name, selector }).toEqual({
        variable: variable.name,
        selector: expect.any(String),
      });
      const samples = await expectData(selector);
      expect(samples.map((s) => s.metric[label])).toContain(new URL(dispatcher.baseUrl).host);
    }
  });

  it('evaluates every alert expression, and pages for nothing while one endpoint fails hard; the dead letter opens a ticket', async () => {
    for (const { alert, expr } of alertRules)
      expect({ alert, result: Array.isArray(await query(expr)) }).toEqual({ alert, result: true });
    // The failing endpoint really failed: attempts answered 500, its breaker opened, deliveries deferred.
    await expectData('vowchat_delivery_attempts_total{outcome="retried_5xx"} > 0');
    await expectData('vowchat_deliveries_deferred_total{reason="breaker_open"} > 0');
    const firing = await withPromLog(() =>
      waitFor(
        'VowChatDeadLettersWritten to fire',
        async () => {
          const response = await fetch(`${promUrl}/api/v1/alerts`);
          const { data } = (await response.json()) as {
            data: { alerts: { labels: Record<string, string>; state: string }[] };
          };
          const alerts = data.alerts.filter((a) => a.state === 'firing');
          return alerts.some((a) => a.labels.alertname === 'VowChatDeadLettersWritten') ? alerts : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      ),
    );
    expect(firing.map((a) => a.labels.alertname)).toEqual(['VowChatDeadLettersWritten']);
    // Nothing else is even pending, but the dead-letter rate (one record in a few seconds of
    // traffic is about 1 %: pending for its 10 minutes, which the test does not wait for).
    const pending = await query('ALERTS{alertstate="pending", alertname!="VowChatDeadLetterRateHigh"}');
    expect(pending.map((s) => s.metric.alertname)).toEqual([]);
  });

  // ---- the Postgres panels, with Grafana's macros and variables substituted ----

  /** The SQL Grafana would send: $__timeFilter over the last hour, the variables as given. */
  function grafanaSql(sql: string, vars: { account: string; endpoint: string }): string {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const out = sql
      .replace(
        /\$__timeFilter\(([\w.]+)\)/g,
        (_, column: string) => `${column} BETWEEN '${from}' AND '${to}'`,
      )
      .replaceAll('${account}', vars.account)
      .replaceAll('${endpoint}', vars.endpoint);
    if (/\$/.test(out)) throw new Error(`unsubstituted macro or variable in:\n${out}`);
    return out;
  }

  it('parses, with panels on both datasources and account and endpoint variables on Postgres', () => {
    expect(dashboard.title).toBe('VowChat Webhooks');
    expect(promTargets.length).toBeGreaterThan(15);
    expect(sqlTargets.map((t) => t.panel)).toEqual(
      expect.arrayContaining([
        'Least healthy endpoints',
        'Endpoint attempts by outcome (per minute)',
        'Recent failed attempts',
      ]),
    );
    const pgVariables = variables
      .filter((v) => v.datasource.type === 'postgres')
      .map((v) => [v.name, v.allValue]);
    expect(pgVariables).toEqual([
      ['account', 'all'],
      ['endpoint', 'all'],
    ]);
  });

  it('lists the failing endpoint first among the least healthy, from the real rollups', async () => {
    const [least] = sqlTargets.filter((t) => t.panel === 'Least healthy endpoints');
    const rows = await waitFor(
      'both endpoints in the minute rollups',
      async () => {
        const { rows } = await db.query<Record<string, unknown>>(
          grafanaSql(least.target.rawSql!, { account: 'all', endpoint: 'all' }),
        );
        return rows.length >= 2 ? rows : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(rows[0]).toMatchObject({ webhook: failingWebhook.id, account: String(ACCOUNT_FAILING.id) });
    expect(Number(rows[0]['5xx'])).toBeGreaterThan(0);
    expect(rows.map((r) => r.webhook)).toContain(okWebhook.id);
    const okOnly = await db.query<Record<string, unknown>>(
      grafanaSql(least.target.rawSql!, { account: String(ACCOUNT_OK.id), endpoint: okWebhook.id }),
    );
    expect(okOnly.rows.map((r) => r.webhook)).toEqual([okWebhook.id]);
    expect(Number(okOnly.rows[0]['success ratio'])).toBe(1);
  });

  it('runs every Postgres panel against the real schema, for all endpoints and for one', async () => {
    for (const { panel, target } of sqlTargets)
      for (const vars of [
        { account: 'all', endpoint: 'all' },
        { account: String(ACCOUNT_FAILING.id), endpoint: failingWebhook.id },
        { account: String(ACCOUNT_OK.id), endpoint: 'all' },
      ]) {
        const { rows } = await db.query(grafanaSql(target.rawSql!, vars)).catch((error: Error) => {
          throw new Error(`panel "${panel}" (${JSON.stringify(vars)}): ${error.message}`);
        });
        if (vars.account === String(ACCOUNT_FAILING.id))
          expect({ panel, rows: rows.length > 0 }).toEqual({ panel, rows: true });
      }
  });

  it('offers the accounts and their endpoints as variable values', async () => {
    const run = async (name: string, account: string) => {
      const variable = variables.find((v) => v.name === name)!;
      const sql = typeof variable.query === 'string' ? variable.query : variable.query.query;
      const { rows } = await db.query<{ __value: string; __text: string }>(
        grafanaSql(sql, { account, endpoint: 'all' }),
      );
      return rows;
    };
    expect((await run('account', 'all')).map((r) => String(r.__value))).toEqual([
      String(ACCOUNT_OK.id),
      String(ACCOUNT_FAILING.id),
    ]);
    const endpoints = await run('endpoint', String(ACCOUNT_FAILING.id));
    expect(endpoints.map((r) => r.__value)).toEqual([failingWebhook.id]);
    expect(endpoints[0].__text).toContain(receiver.url('/failing'));
    expect((await run('endpoint', 'all')).length).toBe(2);
  });
});
