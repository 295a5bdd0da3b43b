// uPlot charts that follow their container's size and take new data on every refresh. A chart is
// described once (its series, units and axes) and fed arrays: x in epoch seconds, one array per series.
import uPlot from './uPlot.esm.js';
import { count, ms, pct, rate, seconds } from './format.js';

export const COLORS = {
  delivered: '#3fb950',
  failed: '#f85149',
  retried: '#f0883e',
  throttled: '#d29922',
  timeouts: '#bc8cff',
  connection: '#ff7b72',
  dead: '#da3633',
  deferred: '#8b949e',
  p50: '#58a6ff',
  p95: '#d29922',
  p99: '#f85149',
  first: '#a5d6ff',
  objective: '#8b949e',
  a: '#58a6ff',
  b: '#f0883e',
  c: '#bc8cff',
};

/** Axis and legend formatting per unit. */
const UNITS = {
  count: { axis: (v) => count(v), value: (v) => count(v) },
  rate: { axis: (v) => (Number.isInteger(v) ? count(v) : v.toFixed(v < 1 ? 2 : 1)), value: (v) => rate(v) },
  pct: { axis: (v) => `${(v * 100).toFixed(v >= 0.99 ? 1 : 0)}%`, value: (v) => pct(v) },
  ms: { axis: (v) => ms(v), value: (v) => ms(v) },
  seconds: { axis: (v) => seconds(v), value: (v) => seconds(v) },
};

/** An x-axis label: 24 h clock, with the date once the span passes two days. */
function clock(t, spanSeconds) {
  const d = new Date(t * 1000);
  const hm = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false });
  if (spanSeconds <= 2 * 86400) return hm;
  return `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} ${hm}`;
}

/**
 * Where uPlot hides points (dense data), still mark a value with no neighbour: a bucket with
 * attempts between silent ones draws no line, and would otherwise not show at all.
 */
function isolated(u, seriesIdx, show) {
  if (show) return null;
  const data = u.data[seriesIdx];
  const idxs = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== null && data[i] !== undefined && data[i - 1] == null && data[i + 1] == null) idxs.push(i);
  }
  return idxs.length > 0 ? idxs : null;
}

/** An empty chart's height per unit, so its axis reads sensibly before data arrives. */
const EMPTY_MAX = { count: 1, rate: 1, pct: 1, ms: 100, seconds: 1 };

/** Tick steps for counts: whole numbers only (no "0.5 breakers"). */
const WHOLE = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7,
];

const AXIS = {
  stroke: '#8b949e',
  grid: { stroke: '#21262d', width: 1 },
  ticks: { stroke: '#30363d', width: 1 },
};

/**
 * A chart in `host`. `series`: [{label, color, unit?, right?, dash?}], `unit` the left axis's unit;
 * a series with `right: true` is read on the right axis in `rightUnit`.
 */
export class Chart {
  constructor(host, { series, unit = 'count', rightUnit = null, min = null, max = null }) {
    this.host = host;
    this.spec = { series, unit, rightUnit, min, max };
    this.plot = null;
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(host);
  }

  /** Draws `xs` (epoch seconds) against one array per series, over `span` ([from, to] seconds) when given. */
  update(xs, ys, span = null) {
    this.span = span;
    const data = [xs, ...ys];
    if (this.plot) {
      this.plot.setData(data);
      return;
    }
    this.plot = new uPlot(this.options(), data, this.host);
    this.host.uplot = this.plot; // the browser test counts the instances
  }

  fit() {
    if (!this.plot) return;
    const { width, height } = this.size();
    if (width !== this.plot.width || height !== this.plot.height) this.plot.setSize({ width, height });
  }

  destroy() {
    this.resize.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }

  size() {
    const legend = this.host.querySelector('.u-legend');
    const width = Math.max(200, Math.floor(this.host.clientWidth));
    const height = Math.max(
      120,
      Math.floor(this.host.clientHeight) - (legend ? legend.offsetHeight : 28) - 4,
    );
    return { width, height };
  }

  options() {
    const { series, unit, rightUnit, min, max } = this.spec;
    const left = UNITS[unit];
    const right = rightUnit ? UNITS[rightUnit] : null;
    const range = (u, dataMin, dataMax) => {
      const lo = min ?? Math.min(0, dataMin ?? 0);
      let hi = max ?? (dataMax === null || dataMax <= lo ? lo + EMPTY_MAX[unit] : dataMax * 1.08);
      if (unit === 'pct' && max === null) hi = 1;
      return [lo, hi];
    };
    return {
      ...this.size(),
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      // Labels only: values that change under the cursor make the legend wrap and the plot jump.
      legend: { live: false },
      scales: {
        x: {
          time: true,
          range: (u, lo, hi) =>
            this.span ? this.span : [lo ?? Date.now() / 1000 - 3600, hi ?? Date.now() / 1000],
        },
        y: { range },
        ...(right ? { r: { range: (u, a, b) => [0, b === null || b <= 0 ? 1 : b * 1.08] } } : {}),
      },
      series: [
        {
          value: (u, v) => (v === null ? '—' : new Date(v * 1000).toLocaleString('en-GB', { hour12: false })),
        },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          dash: s.dash,
          scale: s.right ? 'r' : 'y',
          spanGaps: false,
          points: { filter: isolated },
          value: (u, v) => (v === null || v === undefined ? '—' : (s.right ? right : left).value(v)),
        })),
      ],
      axes: [
        {
          ...AXIS,
          space: 70,
          values: (u, splits) => splits.map((t) => clock(t, u.scales.x.max - u.scales.x.min)),
        },
        {
          ...AXIS,
          scale: 'y',
          size: 64,
          incrs: unit === 'count' ? WHOLE : undefined,
          values: (u, vals) => vals.map((v) => left.axis(v)),
        },
        ...(right
          ? [
              {
                ...AXIS,
                scale: 'r',
                side: 1,
                size: 64,
                grid: { show: false },
                values: (u, vals) => vals.map((v) => right.axis(v)),
              },
            ]
          : []),
      ],
    };
  }
}
