// A small in-process metrics registry rendered in the Prometheus text format at GET /metrics.
// Counters and gauges with labels; no histograms (latency lives in the delivery log).

type Labels = Record<string, string>;

interface Series {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
  collect?: () => number;
}

export class Metrics {
  private readonly series = new Map<string, Series>();

  counter(name: string, help: string): (labels?: Labels, by?: number) => void {
    const s = this.define(name, help, 'counter');
    return (labels = {}, by = 1) => {
      const key = labelKey(labels);
      const entry = s.values.get(key) ?? { labels, value: 0 };
      entry.value += by;
      s.values.set(key, entry);
    };
  }

  /** A gauge read when metrics are rendered. */
  gauge(name: string, help: string, collect: () => number): void {
    this.define(name, help, 'gauge').collect = collect;
  }

  /** The current value of a counter series (tests, health). */
  value(name: string, labels: Labels = {}): number {
    return this.series.get(name)?.values.get(labelKey(labels))?.value ?? 0;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, s] of this.series) {
      lines.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`);
      if (s.collect) lines.push(`${name} ${s.collect()}`);
      for (const { labels, value } of s.values.values())
        lines.push(`${name}${renderLabels(labels)} ${value}`);
    }
    return lines.join('\n') + '\n';
  }

  private define(name: string, help: string, type: Series['type']): Series {
    const existing = this.series.get(name);
    if (existing) return existing;
    const s: Series = { help, type, values: new Map() };
    this.series.set(name, s);
    return s;
  }
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

function renderLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`,
  );
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}
