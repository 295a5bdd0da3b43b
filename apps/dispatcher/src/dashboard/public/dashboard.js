// The operator's live page: the platform (charts, indicators, least healthy endpoints), one account
// (its endpoints worst first) and one endpoint (its series, its failed deliveries, its state), from
// the health API and GET /api/v1/operator/dashboard. Routes live in the hash (#/, #/accounts/7,
// #/accounts/7/webhooks/<id>) so a view can be bookmarked; the range is remembered per tab.
import { forgetToken, get, setToken, token, Unauthorized } from './api.js';
import { Chart, COLORS } from './charts.js';
import { ago, burn, count, ms, pct, rate, seconds, time } from './format.js';

const REFRESH_MS = 5_000;
const LEAST_HEALTHY = 20;
const FAILED_SHOWN = 20;
/** The health API window and series step answering each range (the smallest window covering it). */
const RANGES = {
  '15m': { window: '1h', series: '1m', points: 15, label: '15 min' },
  '1h': { window: '1h', series: '1m', points: 60, label: '1 h' },
  '24h': { window: '24h', series: '1m', points: 1440, label: '24 h' },
  '7d': { window: '7d', series: '1h', points: 168, label: '7 d' },
};

const $ = (selector, root = document) => root.querySelector(selector);
const state = {
  range:
    sessionStorage.getItem('vowchat.dashboard.range') in RANGES
      ? sessionStorage.getItem('vowchat.dashboard.range')
      : '1h',
  timer: null,
  charts: new Map(),
  loading: null,
  generation: 0,
};

// ---- small DOM helpers: text only, never HTML built from data ----

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'data') Object.assign(node.dataset, v);
    else if (k === 'on') for (const [event, fn] of Object.entries(v)) node.addEventListener(event, fn);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const c of children.flat())
    if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

/** Sets a stat tile's figure: its text as shown, its raw value for machines. */
function stat(name, text, raw, hint) {
  for (const tile of document.querySelectorAll(`[data-stat="${name}"]`)) {
    $('.value', tile).textContent = text;
    tile.dataset.raw = raw === null || raw === undefined ? '' : String(raw);
    if (hint !== undefined) $('.hint', tile).textContent = hint;
    const { badAbove, badBelow } = tile.dataset;
    const known = raw !== null && raw !== undefined;
    const bad =
      known &&
      ((badAbove !== undefined && raw > Number(badAbove)) ||
        (badBelow !== undefined && raw < Number(badBelow)));
    tile.classList.toggle('bad', Boolean(bad));
  }
}

function chart(id, spec) {
  let c = state.charts.get(id);
  if (!c) {
    c = new Chart($(`[data-chart="${id}"] .plot`), spec);
    state.charts.set(id, c);
  }
  return c;
}

function dropCharts(prefix) {
  for (const [id, c] of state.charts) {
    if (id.startsWith(prefix)) {
      c.destroy();
      state.charts.delete(id);
    }
  }
}

const secondsOf = (iso) => Date.parse(iso) / 1000;

// ---- routing ----

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'accounts' && parts[1] && parts[2] === 'webhooks' && parts[3]) {
    return { view: 'endpoint', account: parts[1], webhook: parts[3] };
  }
  if (parts[0] === 'accounts' && parts[1]) return { view: 'account', account: parts[1] };
  return { view: 'platform' };
}

function show(view) {
  for (const section of document.querySelectorAll('[data-view]'))
    section.hidden = section.dataset.view !== view;
}

function crumbs(r, name) {
  const nav = $('#crumbs');
  nav.replaceChildren(el('a', { href: '#/' }, 'Platform'));
  if (r.view === 'platform') return;
  nav.append(' › ', el('a', { href: `#/accounts/${r.account}` }, `Account ${r.account}`));
  if (r.view === 'endpoint') nav.append(' › ', el('span', {}, name ?? r.webhook));
}

// ---- loading and refreshing ----

async function refresh() {
  clearTimeout(state.timer);
  if (!token()) return askForToken();
  const generation = ++state.generation;
  const r = route();
  show(r.view);
  const spec = RANGES[state.range];
  try {
    if (r.view === 'platform') await loadPlatform(spec);
    else if (r.view === 'account') await loadAccount(r, spec);
    else await loadEndpoint(r, spec);
    if (generation !== state.generation) return; // a newer load took over
    $('#error').hidden = true;
    $('#updated').textContent =
      `updated ${new Date().toLocaleTimeString('en-GB', { hour12: false })} · every ${REFRESH_MS / 1000} s`;
    document.body.dataset.range = state.range;
    document.body.dataset.loaded = r.view;
  } catch (error) {
    if (error instanceof Unauthorized) {
      forgetToken();
      return askForToken('The dispatcher refused this token (401 Unauthorized). Enter the operator token.');
    }
    $('#error').hidden = false;
    $('#error').textContent = `Could not refresh: ${error.message}. Retrying every ${REFRESH_MS / 1000} s.`;
  }
  if (generation === state.generation) state.timer = setTimeout(refresh, REFRESH_MS);
}

function askForToken(message) {
  clearTimeout(state.timer);
  document.body.dataset.loaded = '';
  show('login');
  $('#signout').hidden = true;
  $('#login-message').textContent =
    message ??
    'The dashboard reads the dispatcher\u2019s health API: enter the operator token (DISPATCHER_API_TOKEN).';
  $('#login-message').classList.toggle('bad', Boolean(message));
  $('#token').focus();
}

// ---- the platform ----

async function loadPlatform(spec) {
  const [view, operator] = await Promise.all([
    get(`/api/v1/operator/dashboard?range=${state.range}`),
    get(`/api/v1/operator/health?window=${spec.window}&limit=${LEAST_HEALTHY}`),
  ]);
  crumbs({ view: 'platform' });
  $('#signout').hidden = false;
  const t = view.totals;
  const p = operator.platform;
  const rangeLabel = `last ${spec.label}`;
  stat(
    'attempts',
    count(t.counts.attempts),
    t.counts.attempts,
    `${rate(t.rate.attempts_per_minute)}/min · ${rangeLabel}`,
  );
  stat(
    'delivered',
    count(t.counts.delivered),
    t.counts.delivered,
    `${rate(t.rate.delivered_per_minute)}/min`,
  );
  stat(
    'success-ratio',
    pct(t.success_ratio),
    t.success_ratio,
    `first attempt ${pct(t.first_attempt_success_ratio)}`,
  );
  stat(
    'attempt-p99',
    ms(t.attempt_duration_ms.p99),
    t.attempt_duration_ms.p99,
    `p50 ${ms(t.attempt_duration_ms.p50)} · p95 ${ms(t.attempt_duration_ms.p95)}`,
  );
  stat(
    'e2e-p99',
    ms(t.end_to_end_ms.p99),
    t.end_to_end_ms.p99,
    `p50 ${ms(t.end_to_end_ms.p50)} · p95 ${ms(t.end_to_end_ms.p95)}`,
  );
  stat(
    'slo',
    pct(p.slo.indicator),
    p.slo.indicator,
    `first attempt ≤ ${ms(p.slo.threshold_ms)} · objective ${pct(p.slo.objective)}`,
  );
  stat(
    'error-budget',
    pct(p.slo.error_budget_remaining),
    p.slo.error_budget_remaining,
    `burn 5m ${burn(p.slo.burn_rate['5m'])} · 1h ${burn(p.slo.burn_rate['1h'])} · 6h ${burn(p.slo.burn_rate['6h'])}`,
  );
  $('#budget-bar').style.width = `${Math.max(0, Math.min(1, p.slo.error_budget_remaining ?? 1)) * 100}%`;
  stat(
    'wait-p99',
    ms(p.first_attempt_wait_ms.p99),
    p.first_attempt_wait_ms.p99,
    `publish → first attempt · ${operator.window}`,
  );
  const lag = p.consumer_lag;
  stat(
    'consumer-lag',
    'error' in lag ? 'n/a' : count(lag.total_records),
    'error' in lag ? null : lag.total_records,
    'error' in lag ? lag.error : `oldest ${seconds(lag.max_seconds)}`,
  );
  const projector = p.projector_lag;
  stat(
    'projector-lag',
    'error' in projector ? 'n/a' : count(projector.total_records),
    'error' in projector ? null : projector.total_records,
    'records not yet in Postgres',
  );
  stat('retries-due', count(p.retries.due), p.retries.due, `oldest due ${ms(p.retries.oldest_due_age_ms)}`);
  const dead = p.dead_letters;
  stat(
    'dead-letters',
    'error' in dead ? 'n/a' : count(dead.in_window),
    'error' in dead ? null : dead.in_window,
    'error' in dead ? dead.error : `${count(dead.retained)} retained · ${operator.window}`,
  );
  const g = view.gauges.latest;
  stat('breakers-open', count(g?.breakers_open ?? null), g?.breakers_open ?? null, 'this instance');
  stat(
    'webhooks-disabled',
    count(g?.webhooks_disabled ?? null),
    g?.webhooks_disabled ?? null,
    'by the API or 410 Gone',
  );

  const span = [secondsOf(view.from), secondsOf(view.to)];
  drawDeliveryCharts('platform', view.points, view.resolution === '1h' ? 60 : 1, span);
  const slo = view.points;
  chart('platform-slo', {
    unit: 'pct',
    min: null,
    series: [
      { label: 'first attempt ≤ 30 s', color: COLORS.delivered },
      { label: `objective ${pct(p.slo.objective)}`, color: COLORS.objective, dash: [6, 4] },
    ],
  }).update(
    slo.map((x) => secondsOf(x.at)),
    [slo.map((x) => x.slo_ratio), slo.map(() => p.slo.objective)],
    span,
  );

  const gp = view.gauges.points;
  const gx = gp.map((x) => secondsOf(x.at));
  chart('platform-lag', {
    unit: 'count',
    rightUnit: 'seconds',
    series: [
      { label: 'consumer lag (records)', color: COLORS.a },
      { label: 'projector lag (records)', color: COLORS.c },
      { label: 'oldest unconsumed (s)', color: COLORS.b, right: true },
    ],
  }).update(
    gx,
    [
      gp.map((x) => x.consumer_lag_records),
      gp.map((x) => x.projector_lag_records),
      gp.map((x) => x.consumer_lag_seconds),
    ],
    span,
  );
  chart('platform-retries', {
    unit: 'count',
    rightUnit: 'seconds',
    series: [
      { label: 'waiting', color: COLORS.a },
      { label: 'due', color: COLORS.retried },
      { label: 'oldest due age (s)', color: COLORS.failed, right: true },
    ],
  }).update(
    gx,
    [
      gp.map((x) => x.retries_waiting),
      gp.map((x) => x.retries_due),
      gp.map((x) => x.retry_oldest_due_age_seconds),
    ],
    span,
  );
  chart('platform-breakers', {
    unit: 'count',
    series: [
      { label: 'breakers open', color: COLORS.failed },
      { label: 'endpoints disabled', color: COLORS.deferred },
    ],
  }).update(gx, [gp.map((x) => x.breakers_open), gp.map((x) => x.webhooks_disabled)], span);
  const since = view.gauges.since
    ? `sampled every ${view.gauges.sample_ms / 1000} s by this instance since ${time(view.gauges.since)}`
    : 'no samples yet';
  for (const note of document.querySelectorAll('.gauges-since')) note.textContent = since;

  $('#least-window').textContent = `over the health API's ${operator.window} window`;
  endpointTable($('#least-healthy'), operator.least_healthy, true);
}

/** Rate by outcome, success ratio and latency percentiles of a series (platform or one endpoint). */
function drawDeliveryCharts(prefix, points, minutesPerBucket, span) {
  const xs = points.map((x) => secondsOf(x.at));
  const perMinute = (k) => points.map((x) => x[k] / minutesPerBucket);
  chart(`${prefix}-rate`, {
    unit: 'rate',
    series: [
      { label: 'delivered', color: COLORS.delivered },
      { label: '5xx (retried)', color: COLORS.retried },
      { label: '408/429', color: COLORS.throttled },
      { label: 'timeout', color: COLORS.timeouts },
      { label: 'connection', color: COLORS.connection },
      { label: 'failed', color: COLORS.failed },
      { label: 'dead', color: COLORS.dead, dash: [2, 3] },
      { label: 'deferred (breaker)', color: COLORS.deferred, dash: [6, 4] },
    ],
  }).update(
    xs,
    [
      perMinute('delivered'),
      perMinute('retried_5xx'),
      perMinute('throttled'),
      perMinute('timeouts'),
      perMinute('connection_errors'),
      perMinute('failed'),
      perMinute('dead'),
      perMinute('deferred_breaker'),
    ],
    span,
  );
  chart(`${prefix}-success`, {
    unit: 'pct',
    series: [
      { label: 'success ratio', color: COLORS.delivered },
      { label: 'first-attempt success', color: COLORS.first },
    ],
  }).update(
    xs,
    [
      points.map((x) => x.success_ratio),
      points.map((x) => (x.first_attempts > 0 ? x.first_attempt_delivered / x.first_attempts : null)),
    ],
    span,
  );
  const percentiles = (key) =>
    ['p50', 'p95', 'p99'].map((q) => points.map((x) => (x[key][q] === undefined ? null : x[key][q])));
  const latency = [
    { label: 'p50', color: COLORS.p50 },
    { label: 'p95', color: COLORS.p95 },
    { label: 'p99', color: COLORS.p99 },
  ];
  chart(`${prefix}-attempt-latency`, { unit: 'ms', series: latency }).update(
    xs,
    percentiles('attempt_duration_ms'),
    span,
  );
  chart(`${prefix}-e2e-latency`, { unit: 'ms', series: latency }).update(
    xs,
    percentiles('end_to_end_ms'),
    span,
  );
}

/** Rows of endpoints, worst first; a click opens the endpoint. */
function endpointTable(table, items, withAccount) {
  const body = $('tbody', table);
  if (items.length === 0) {
    body.replaceChildren(
      el('tr', {}, el('td', { colspan: 11, class: 'empty' }, 'No endpoint has attempts in this window.')),
    );
    return;
  }
  body.replaceChildren(
    ...items.map((w) => {
      const href = `#/accounts/${w.account_id}/webhooks/${w.webhook_id}`;
      const failed = w.counts.attempts - w.counts.delivered;
      return el(
        'tr',
        {
          data: { webhookId: w.webhook_id },
          class: w.health_score < 0.5 ? 'bad' : w.health_score < 0.9 ? 'warn' : '',
          on: { click: () => (location.hash = href) },
        },
        withAccount
          ? el(
              'td',
              {},
              el(
                'a',
                { href: `#/accounts/${w.account_id}`, on: { click: (e) => e.stopPropagation() } },
                String(w.account_id),
              ),
            )
          : null,
        el(
          'td',
          { class: 'endpoint' },
          el('a', { href }, w.name ?? w.webhook_id.slice(0, 8)),
          el('div', { class: 'url' }, w.deleted ? 'deleted' : (w.url ?? '')),
        ),
        el('td', { class: 'num', data: { col: 'score' } }, w.health_score.toFixed(4)),
        el('td', { class: 'num', data: { col: 'success' } }, pct(w.success_ratio)),
        el('td', { class: 'num', data: { col: 'attempts' } }, count(w.counts.attempts)),
        el('td', { class: 'num', data: { col: 'failed' } }, count(failed)),
        el('td', { class: 'num' }, ms(w.attempt_duration_ms.p99)),
        el('td', { class: `state ${w.breaker_state}` }, w.breaker_state.replace('_', '-')),
        el('td', {}, w.failing_since ? `failing ${ago(w.failing_since)}` : w.enabled ? '—' : 'disabled'),
        el(
          'td',
          { class: `state ${w.lifecycle?.state ?? ''}` },
          w.lifecycle ? w.lifecycle.state.replaceAll('_', ' ') : '—',
        ),
        el('td', { class: 'num' }, count(w.pending_retries)),
      );
    }),
  );
}

// ---- one account ----

async function loadAccount(r, spec) {
  const account = await get(`/api/v1/accounts/${encodeURIComponent(r.account)}/health?window=${spec.window}`);
  crumbs(r);
  $('#signout').hidden = false;
  $('#account-title').textContent = `Account ${account.account_id}`;
  const failing = account.webhooks.filter((w) => w.failing_since !== null).length;
  const attempts = account.webhooks.reduce((s, w) => s + w.counts.attempts, 0);
  const delivered = account.webhooks.reduce((s, w) => s + w.counts.delivered, 0);
  stat(
    'account-endpoints',
    count(account.webhooks.length),
    account.webhooks.length,
    `${count(failing)} failing now`,
  );
  stat('account-attempts', count(attempts), attempts, `over ${account.window}`);
  stat(
    'account-success',
    pct(attempts > 0 ? delivered / attempts : null),
    attempts > 0 ? delivered / attempts : null,
    `${count(delivered)} delivered`,
  );
  endpointTable($('#account-endpoints'), account.webhooks, false);
}

// ---- one endpoint ----

async function loadEndpoint(r, spec) {
  const base = `/api/v1/accounts/${encodeURIComponent(r.account)}/webhooks/${encodeURIComponent(r.webhook)}`;
  const [health, series, failed] = await Promise.all([
    get(`${base}/health?window=${spec.window}`),
    get(`${base}/health?window=${spec.window}&series=${spec.series}`),
    get(`${base}/deliveries?outcome=failed,dead,retrying&limit=${FAILED_SHOWN}`),
  ]);
  crumbs(r, health.name ?? `webhook ${health.webhook_id.slice(0, 8)}`);
  $('#signout').hidden = false;
  $('#endpoint-title').textContent = health.name ?? health.url;
  $('#endpoint-url').textContent = `webhook ${health.webhook_id} · ${health.url}`;
  const badges = $('#endpoint-badges');
  badges.replaceChildren(
    el(
      'span',
      { class: `badge ${health.enabled ? 'ok' : 'bad'}`, data: { badge: 'enabled' } },
      health.enabled ? 'enabled' : 'disabled',
    ),
    el(
      'span',
      { class: `badge ${health.breaker.state === 'closed' ? 'ok' : 'bad'}`, data: { badge: 'breaker' } },
      `breaker ${health.breaker.state.replace('_', '-')}${health.breaker.since ? ` since ${time(health.breaker.since)}` : ''}`,
    ),
    ...(health.failing_since
      ? [
          el(
            'span',
            { class: 'badge bad', data: { badge: 'failing' } },
            `failing since ${time(health.failing_since)}`,
          ),
        ]
      : []),
    ...[lifecycleBadge(health.lifecycle ?? health.lifecycle_state)].filter(Boolean),
  );
  stat(
    'ep-attempts',
    count(health.counts.attempts),
    health.counts.attempts,
    `${rate(health.rate.attempts_per_minute)}/min · ${health.window}`,
  );
  stat(
    'ep-success',
    pct(health.success_ratio),
    health.success_ratio,
    `first attempt ${pct(health.first_attempt_success_ratio)}`,
  );
  stat('ep-score', health.health_score.toFixed(4), health.health_score, '(delivered+1)/(attempts+1)');
  stat(
    'ep-attempt-p99',
    ms(health.attempt_duration_ms.p99),
    health.attempt_duration_ms.p99,
    `p50 ${ms(health.attempt_duration_ms.p50)} · p95 ${ms(health.attempt_duration_ms.p95)}`,
  );
  stat(
    'ep-e2e-p99',
    ms(health.end_to_end_ms.p99),
    health.end_to_end_ms.p99,
    `p50 ${ms(health.end_to_end_ms.p50)}`,
  );
  stat(
    'ep-retries',
    count(health.retries.pending),
    health.retries.pending,
    `${count(health.retries.due)} due · oldest ${ms(health.retries.oldest_pending_age_ms)}`,
  );
  stat(
    'ep-last-success',
    health.last_success_at ? ago(health.last_success_at) : '—',
    health.last_success_at,
    time(health.last_success_at),
  );
  stat(
    'ep-last-failure',
    health.last_failure_at ? ago(health.last_failure_at) : '—',
    health.last_failure_at,
    time(health.last_failure_at),
  );

  const points = series.points.slice(-spec.points);
  const span = points.length > 0 ? [secondsOf(points[0].at), secondsOf(series.to)] : null;
  drawDeliveryCharts('endpoint', points, series.series === '1h' ? 60 : 1, span);

  const body = $('#failed-deliveries tbody');
  const rows = failed.deliveries;
  body.replaceChildren(
    ...(rows.length === 0
      ? [el('tr', {}, el('td', { colspan: 7, class: 'empty' }, 'No failed, dead or retrying deliveries.'))]
      : rows.map((d) =>
          el(
            'tr',
            { data: { deliveryId: d.delivery_id }, class: d.outcome === 'retrying' ? 'warn' : 'bad' },
            el('td', {}, time(d.last_attempt_at)),
            el('td', {}, d.event_type),
            el('td', { class: `state ${d.outcome}` }, d.outcome),
            el('td', { class: 'num' }, count(d.attempts)),
            el('td', { class: 'num' }, d.last_status_code === null ? '—' : String(d.last_status_code)),
            el('td', { class: 'error' }, d.last_error ?? ''),
            el('td', {}, d.next_attempt_at ? time(d.next_attempt_at) : '—'),
          ),
        )),
  );
}

/**
 * The endpoint's lifecycle (healthy, failing, disabling soon, disabled) when the health API gives one:
 * {state, consecutive_failures, failing_since, disable_at}.
 */
function lifecycleBadge(lifecycle) {
  if (lifecycle === undefined || lifecycle === null) return null;
  const name = typeof lifecycle === 'string' ? lifecycle : String(lifecycle.state ?? 'unknown');
  const parts = [`lifecycle ${name.replaceAll('_', ' ')}`];
  if (lifecycle.consecutive_failures > 0)
    parts.push(`${count(lifecycle.consecutive_failures)} failures in a row`);
  if (lifecycle.disable_at) parts.push(`disabled at ${time(lifecycle.disable_at)} unless it recovers`);
  return el(
    'span',
    { class: `badge ${name === 'healthy' ? 'ok' : 'bad'}`, data: { badge: 'lifecycle' } },
    parts.join(' · '),
  );
}

// ---- wiring ----

function setRange(range) {
  state.range = range;
  sessionStorage.setItem('vowchat.dashboard.range', range);
  for (const b of document.querySelectorAll('#ranges button'))
    b.setAttribute('aria-pressed', String(b.dataset.range === range));
  void refresh();
}

$('#login').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('#token').value.trim();
  if (!value) return;
  setToken(value);
  $('#token').value = '';
  void refresh();
});
$('#signout').addEventListener('click', () => {
  forgetToken();
  askForToken('Signed out.');
});
for (const b of document.querySelectorAll('#ranges button'))
  b.addEventListener('click', () => setRange(b.dataset.range));
window.addEventListener('hashchange', () => {
  if (route().view !== 'endpoint') dropCharts('endpoint-');
  void refresh();
});
setRange(state.range);
