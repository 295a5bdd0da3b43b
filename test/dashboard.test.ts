// The built-in dashboard in a real headless browser (Debian's chromium through playwright-core),
// against a real dispatcher, receiver, Kafka and Postgres after known traffic: the operator token is
// required, the page loads without console errors, the charts draw, the figures shown are the
// health API's, and drill-down reaches an account and an endpoint with its failed deliveries.
// Saves the screenshot the README shows (docs/dashboard.png).
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { exampleEvent } from '@vowchat/events';
import type {
  AccountHealthView,
  EndpointHealthView,
  OperatorHealthView,
} from '../apps/dispatcher/src/health/health.view';
import type { PlatformDashboardView } from '../apps/dispatcher/src/dashboard/platform-dashboard.service';
import { launchBrowser, type TestBrowser } from './support/browser';
import { api, API_TOKEN, createWebhook, startSystem, type RunningSystem } from './support/system';
import { waitFor } from './support/wait-for';

const SCREENSHOT = join(__dirname, '..', 'docs', 'dashboard.png');
const CHARTS = 8; // on the platform view

// The page's formats (public/format.js), as the test states them.
const count = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(2)} %`);

describe('dashboard in a real browser', () => {
  let system: RunningSystem;
  let browser: TestBrowser;
  let base: string;
  const account = { id: 21, name: 'Dashboard account' };
  const other = { id: 22, name: 'Another account' };
  let steady: string;
  let flaky: string;
  let calm: string;

  beforeAll(async () => {
    // Fast retries; the receiver answers at once, so the default 5 s limit never cuts an attempt
    // short, even on a loaded machine (a timeout would be retried and change the counts).
    system = await startSystem({ RETRY_SCHEDULE_MS: '200,200,200' });
    base = system.dispatcher.baseUrl;
    const { receiver, publisher } = system;
    browser = await launchBrowser();
    steady = (await createWebhook(base, account.id, receiver.url('/steady'), ['message_created'])).id;
    flaky = (await createWebhook(base, account.id, receiver.url('/flaky'), ['conversation_created'])).id;
    calm = (await createWebhook(base, other.id, receiver.url('/calm'), ['message_created'])).id;
    const publish = (type: 'message_created' | 'conversation_created', of: typeof account, n: number) =>
      Promise.all(Array.from({ length: n }, () => publisher.publish(exampleEvent(type, of))));

    // Known traffic: 20 delivered to /steady; /flaky answers 400 to 6 events (failed, not retried)
    // and 500 to 2 more (retried until dead); 10 delivered to another account's /calm.
    await publish('message_created', account, 20);
    await publish('message_created', other, 10);
    receiver.behave('/flaky', { kind: 'status', code: 400, body: 'no such conversation' });
    await publish('conversation_created', account, 6);
    await receiver.waitForRequests('/flaky', 6);
    receiver.behave('/flaky', { kind: 'status', code: 500, body: 'upstream down' });
    await publish('conversation_created', account, 2);

    let seen = '';
    await waitFor(
      'the rollups to count every outcome, and the consumer and projector to catch up',
      async () => {
        const health = (id: string, acc: number) =>
          api<EndpointHealthView>(base, 'GET', `/api/v1/accounts/${acc}/webhooks/${id}/health`);
        const [s, f, c, op] = await Promise.all([
          health(steady, account.id),
          health(flaky, account.id),
          health(calm, other.id),
          api<OperatorHealthView>(base, 'GET', '/api/v1/operator/health'),
        ]);
        const lag = op.body.platform.consumer_lag as { total_records?: number };
        const projector = op.body.platform.projector_lag as { total_records?: number };
        const now = {
          steady: s.body.counts.delivered,
          calm: c.body.counts.delivered,
          failed: f.body.counts.failed,
          dead: f.body.counts.dead,
          pending: f.body.retries.pending,
          lag: lag.total_records,
          projector: projector.total_records,
        };
        const want = { steady: 20, calm: 10, failed: 6, dead: 2, pending: 0, lag: 0, projector: 0 };
        seen = JSON.stringify(now);
        return seen === JSON.stringify(want);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last seen ${seen}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('serves the page and its assets from the app, with a strict CSP and nothing else', async () => {
    const page = await fetch(`${base}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//); // no CDN: every asset is this app's
    for (const asset of ['uPlot.esm.js', 'uPlot.min.css', 'dashboard.js', 'dashboard.css']) {
      const response = await fetch(`${base}/dashboard/assets/${asset}`);
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
    }
    expect((await fetch(`${base}/dashboard/assets/..%2Fdashboard.controller.ts`)).status).toBe(404);
    expect((await fetch(`${base}/dashboard/assets/secrets.json`)).status).toBe(404);
  });

  it('refuses the data without the operator token, and the page says so', async () => {
    for (const path of ['/api/v1/operator/dashboard', '/api/v1/operator/health']) {
      expect((await fetch(`${base}${path}`)).status).toBe(401);
      const wrong = await fetch(`${base}${path}`, { headers: { authorization: 'Bearer not-the-token' } });
      expect(wrong.status).toBe(401);
    }
    const { page } = await browser.newPage();
    await page.goto(`${base}/dashboard`);
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.locator('[data-view="platform"]').isVisible()).toBe(false);
    await page.fill('#token', 'not-the-token');
    await page.click('#login button[type=submit]');
    await page.locator('#login-message', { hasText: '401' }).waitFor();
    expect(await page.locator('#login-message').textContent()).toContain('refused this token (401');
    expect(await page.locator('[data-view="platform"]').isVisible()).toBe(false);
    expect(
      await page.evaluate<string | null>("sessionStorage.getItem('vowchat.dashboard.token')"),
    ).toBeNull();
    await page.close();
  });

  it('shows the platform: charts drawn, figures equal to the health API, least healthy first; drills down', async () => {
    const { page, errors } = await browser.newPage();
    await page.goto(`${base}/dashboard`);
    await signIn(page);
    await page.waitForSelector('body[data-loaded="platform"]');

    // The charts: one uPlot each, a canvas of non-zero size. (Browser-side code is passed as text:
    // the tests compile without the DOM's types.)
    const figures = page.locator('[data-view="platform"] [data-chart]');
    expect(await figures.count()).toBe(CHARTS);
    for (const figure of await figures.all()) {
      const box = await figure.locator('canvas').boundingBox();
      expect({
        chart: await figure.getAttribute('data-chart'),
        drawn: box!.width > 100 && box!.height > 50,
      }).toEqual({
        chart: await figure.getAttribute('data-chart'),
        drawn: true,
      });
    }
    expect(
      await page.evaluate<number>(
        "[...document.querySelectorAll('[data-view=platform] [data-chart] .plot')].filter((p) => p.uplot).length",
      ),
    ).toBe(CHARTS);

    // The figures: what the page shows is what the APIs answer (both refresh; compare until they meet).
    await expectShown(page, 'platform figures', async () => {
      const [dash, op] = await Promise.all([
        api<PlatformDashboardView>(base, 'GET', '/api/v1/operator/dashboard?range=1h'),
        api<OperatorHealthView>(base, 'GET', '/api/v1/operator/health?window=1h&limit=20'),
      ]);
      const t = dash.body.totals;
      const p = op.body.platform;
      const lag = p.consumer_lag as { total_records: number };
      const projector = p.projector_lag as { total_records: number };
      const dead = p.dead_letters as { in_window: number };
      return {
        attempts: count(t.counts.attempts),
        delivered: count(t.counts.delivered),
        'success-ratio': pct(t.success_ratio),
        slo: pct(p.slo.indicator),
        'error-budget': pct(p.slo.error_budget_remaining),
        'consumer-lag': count(lag.total_records),
        'projector-lag': count(projector.total_records),
        'retries-due': count(p.retries.due),
        'dead-letters': count(dead.in_window),
        'breakers-open': count(dash.body.gauges.latest!.breakers_open),
        'webhooks-disabled': count(dash.body.gauges.latest!.webhooks_disabled),
      };
    });
    // 20 + 10 delivered, 6 failed and 2 × 4 attempts that ended dead: 44 attempts, 30 delivered.
    expect(await shown(page, 'attempts')).toBe('44');
    expect(await shown(page, 'delivered')).toBe('30');
    expect(await shown(page, 'success-ratio')).toBe(pct(30 / 44));

    const operator = await api<OperatorHealthView>(base, 'GET', '/api/v1/operator/health?window=1h&limit=20');
    const rows = await tableRows(page, '#least-healthy');
    expect(rows.map((r) => r.id)).toEqual(operator.body.least_healthy.map((w) => w.webhook_id));
    expect(rows[0]).toMatchObject({
      id: flaky,
      score: operator.body.least_healthy[0].health_score.toFixed(4),
      success: pct(0),
    });
    expect(rows.map((r) => r.id)).toEqual(expect.arrayContaining([steady, calm]));

    // Drill-down: the least healthy endpoint, then its account.
    await page.click(`#least-healthy tr[data-webhook-id="${flaky}"]`);
    await page.waitForSelector('body[data-loaded="endpoint"]');
    expect(page.url()).toContain(`#/accounts/${account.id}/webhooks/${flaky}`);
    const endpointPath = `/api/v1/accounts/${account.id}/webhooks/${flaky}`;
    let lifecycle: string | undefined; // the endpoint lifecycle's state, where the health API has one
    await expectShown(page, 'endpoint figures', async () => {
      const { body } = await api<EndpointHealthView>(base, 'GET', `${endpointPath}/health?window=1h`);
      lifecycle = (body as { lifecycle?: { state: string } }).lifecycle?.state;
      return {
        'ep-attempts': count(body.counts.attempts),
        'ep-success': pct(body.success_ratio),
        'ep-score': body.health_score.toFixed(4),
        'ep-retries': count(body.retries.pending),
      };
    });
    expect(await shown(page, 'ep-attempts')).toBe('14'); // 6 failed + 2 × 4 ending dead
    expect(await page.locator('[data-badge="breaker"]').textContent()).toMatch(/^breaker /);
    if (lifecycle !== undefined) {
      expect(await page.locator('[data-badge="lifecycle"]').textContent()).toContain(
        `lifecycle ${lifecycle.replaceAll('_', ' ')}`,
      );
    }
    const endpointCharts = page.locator('[data-view="endpoint"] [data-chart] canvas');
    expect(await endpointCharts.count()).toBe(4);
    for (const canvas of await endpointCharts.all())
      expect((await canvas.boundingBox())!.width).toBeGreaterThan(100);
    const failed = await api<{ deliveries: { delivery_id: string; outcome: string }[] }>(
      base,
      'GET',
      `${endpointPath}/deliveries?outcome=failed,dead,retrying&limit=20`,
    );
    expect(failed.body.deliveries).toHaveLength(8);
    const failedRows = [];
    for (const row of await page.locator('#failed-deliveries tbody tr').all()) {
      const cells = row.locator('td');
      failedRows.push({
        id: await row.getAttribute('data-delivery-id'),
        outcome: await cells.nth(2).textContent(),
        status: await cells.nth(4).textContent(),
      });
    }
    expect(failedRows.map((r) => r.id)).toEqual(failed.body.deliveries.map((d) => d.delivery_id));
    expect(failedRows.filter((r) => r.outcome === 'failed' && r.status === '400')).toHaveLength(6);
    expect(failedRows.filter((r) => r.outcome === 'dead' && r.status === '500')).toHaveLength(2);

    await page.click(`#crumbs a[href="#/accounts/${account.id}"]`);
    await page.waitForSelector('body[data-loaded="account"]');
    const accountHealth = await api<AccountHealthView>(
      base,
      'GET',
      `/api/v1/accounts/${account.id}/health?window=1h`,
    );
    const accountRows = await tableRows(page, '#account-endpoints');
    expect(accountRows.map((r) => r.id)).toEqual(accountHealth.body.webhooks.map((w) => w.webhook_id));
    expect(accountRows.map((r) => r.id)).toEqual([flaky, steady]);

    // The screenshot for the README: the platform over the last 15 minutes.
    await page.click('#crumbs a[href="#/"]');
    await page.click('#ranges button[data-range="15m"]');
    await page.waitForSelector('body[data-loaded="platform"][data-range="15m"]');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    expect(errors).toEqual([]);
    await page.close();
  });

  async function signIn(page: Page): Promise<void> {
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.fill('#token', API_TOKEN);
    await page.click('#login button[type=submit]');
  }
});

/** The text a stat tile shows. */
function shown(page: Page, name: string): Promise<string | null> {
  return page.locator(`[data-stat="${name}"] .value`).first().textContent();
}

/** Waits until every named tile shows what `expected` (read from the API each time) says. */
async function expectShown(page: Page, what: string, expected: () => Promise<Record<string, string>>) {
  let last: { want: Record<string, string>; got: Record<string, string | null> } | undefined;
  try {
    await waitFor(
      `the page to show the API's ${what}`,
      async () => {
        const want = await expected();
        const got: Record<string, string | null> = {};
        for (const name of Object.keys(want)) got[name] = await shown(page, name);
        last = { want, got };
        return Object.keys(want).every((k) => want[k] === got[k]);
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
  } catch (error) {
    expect(last?.got).toEqual(last?.want); // names the figures that differ
    throw error;
  }
}

async function tableRows(page: Page, table: string) {
  const rows = [];
  for (const row of await page.locator(`${table} tbody tr[data-webhook-id]`).all()) {
    rows.push({
      id: await row.getAttribute('data-webhook-id'),
      score: await row.locator('[data-col="score"]').textContent(),
      success: await row.locator('[data-col="success"]').textContent(),
    });
  }
  return rows;
}
