// A small parser of the Prometheus text exposition format (0.0.4), strict enough to catch what a
// scraper would reject or misread: samples without HELP/TYPE, malformed lines, histograms whose
// buckets are not cumulative or do not end at +Inf equal to _count.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/gy;

/** Parses `text`; throws on anything a Prometheus server would refuse. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const where = `line ${i + 1}: ${line}`;
    if (line.startsWith('# HELP ')) {
      const [name, ...help] = line.slice(7).split(' ');
      helps.set(name, help.join(' '));
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type))
        throw new Error(`unknown type, ${where}`);
      if (families.has(name)) throw new Error(`TYPE given twice, ${where}`);
      families.set(name, { name, help: helps.get(name) ?? '', type: type as Family['type'], samples: [] });
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`malformed sample, ${where}`);
    const [, name, labelText = '', valueText] = match;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let m = LABEL.exec(labelText); m; m = LABEL.exec(labelText)) {
      labels[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      consumed = LABEL.lastIndex;
    }
    if (consumed !== labelText.length) throw new Error(`malformed labels, ${where}`);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    if (Number.isNaN(value) && valueText !== 'NaN' && valueText !== 'Nan')
      throw new Error(`bad value, ${where}`);
    const family = familyOf(families, name);
    if (!family) throw new Error(`sample without a TYPE line, ${where}`);
    if (!family.help) throw new Error(`family without HELP, ${where}`);
    family.samples.push({ name, labels, value });
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function familyOf(families: Map<string, Family>, sample: string): Family | undefined {
  const exact = families.get(sample);
  if (exact) return exact;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue;
    const family = families.get(sample.slice(0, -suffix.length));
    if (family && (family.type === 'histogram' || family.type === 'summary')) return family;
  }
  return undefined;
}

/** Per label set: `le` strictly ascending, counts cumulative, last bucket +Inf equal to _count, a _sum. */
function checkHistogram(family: Family): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name.endsWith('_bucket')) entry.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
    else if (s.name.endsWith('_count')) entry.count = s.value;
    else if (s.name.endsWith('_sum')) entry.sum = s.value;
  }
  for (const [key, { buckets, count, sum }] of series) {
    const where = `${family.name}${key}`;
    if (buckets.length === 0 || count === undefined || sum === undefined)
      throw new Error(`${where}: histogram without buckets, _count or _sum`);
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i][0] > buckets[i - 1][0])) throw new Error(`${where}: le not ascending`);
      if (buckets[i][1] < buckets[i - 1][1]) throw new Error(`${where}: buckets not cumulative`);
    }
    const last = buckets[buckets.length - 1];
    if (last[0] !== Infinity) throw new Error(`${where}: last bucket is not +Inf`);
    if (last[1] !== count) throw new Error(`${where}: +Inf bucket ${last[1]} ≠ _count ${count}`);
  }
}

/** The sum of a family's samples named `sample` (default: the family) whose labels include `labels`. */
export function sampleSum(
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string> = {},
  sample = family,
): number {
  const f = families.get(family);
  if (!f) return 0;
  return f.samples
    .filter((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** The bucket bounds (`le`, +Inf included) of a histogram family, from its first series. */
export function bucketBounds(families: Map<string, Family>, family: string): number[] {
  const samples = families.get(family)?.samples.filter((s) => s.name === `${family}_bucket`) ?? [];
  const first = samples[0] ? JSON.stringify({ ...samples[0].labels, le: '' }) : '';
  return samples
    .filter((s) => JSON.stringify({ ...s.labels, le: '' }) === first)
    .map((s) => (s.labels.le === '+Inf' ? Infinity : Number(s.labels.le)));
}
