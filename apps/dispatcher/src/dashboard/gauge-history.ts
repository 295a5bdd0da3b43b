// The dashboard's memory of the gauges that Postgres does not keep (consumer lag, retry backlog,
// breakers open, webhooks disabled): a sample every few seconds, kept two hours as taken and seven
// days as one-minute maxima. Pure: samples in, points out; the sampler owns the timer.
//
// Why in memory and not a table: these are live readings Prometheus already keeps for teams that
// run it; the built-in page needs them only to draw the same curves without Prometheus. A restart
// forgets them (the page says since when it knows), which a wall screen tolerates and a table
// written every ten seconds by every instance would not be worth.

export interface GaugeSample {
  /** Epoch milliseconds. */
  at: number;
  consumer_lag_records: number;
  /** Age of the oldest record not yet durable, across this instance's partitions. */
  consumer_lag_seconds: number;
  retries_waiting: number;
  retries_due: number;
  retry_oldest_due_age_seconds: number;
  projector_lag_records: number;
  breakers_open: number;
  webhooks_disabled: number;
}

export type GaugeName = Exclude<keyof GaugeSample, 'at'>;

export const GAUGE_NAMES: readonly GaugeName[] = [
  'consumer_lag_records',
  'consumer_lag_seconds',
  'retries_waiting',
  'retries_due',
  'retry_oldest_due_age_seconds',
  'projector_lag_records',
  'breakers_open',
  'webhooks_disabled',
];

const MINUTE_MS = 60_000;

export interface GaugeHistoryOptions {
  /** How long samples are kept as taken (default 2 h). */
  rawMs?: number;
  /** How long minute maxima are kept (default 7 days). */
  minutesMs?: number;
}

export class GaugeHistory {
  private readonly raw: GaugeSample[] = [];
  private readonly minutes: GaugeSample[] = [];
  private readonly rawMs: number;
  private readonly minutesMs: number;

  constructor(options: GaugeHistoryOptions = {}) {
    this.rawMs = options.rawMs ?? 2 * 60 * MINUTE_MS;
    this.minutesMs = options.minutesMs ?? 7 * 24 * 60 * MINUTE_MS;
  }

  /** Samples arrive in time order; one older than the last is ignored (a clock step back). */
  add(sample: GaugeSample): void {
    const last = this.raw.at(-1);
    if (last && sample.at < last.at) return;
    this.raw.push(sample);
    dropBefore(this.raw, sample.at - this.rawMs);
    const minute = Math.floor(sample.at / MINUTE_MS) * MINUTE_MS;
    const current = this.minutes.at(-1);
    if (current && current.at === minute)
      this.minutes[this.minutes.length - 1] = maxOf(current, sample, minute);
    else this.minutes.push({ ...sample, at: minute });
    dropBefore(this.minutes, minute - this.minutesMs);
  }

  /** When the oldest sample still held was taken (null before the first). */
  get since(): number | null {
    return this.minutes[0]?.at ?? this.raw[0]?.at ?? null;
  }

  get latest(): GaugeSample | null {
    return this.raw.at(-1) ?? null;
  }

  /**
   * The samples from `from` on at `stepMs`: as taken when the step is finer than a minute (ranges
   * up to the raw samples' two hours), else the maximum of each gauge per step (the worst moment of
   * a step is what an operator looks for), from the minute maxima. Steps without a sample are absent.
   */
  points(from: number, stepMs: number): GaugeSample[] {
    if (stepMs < MINUTE_MS) return this.raw.filter((s) => s.at >= from);
    const source = this.minutes.filter((s) => s.at >= from);
    if (stepMs <= MINUTE_MS) return source;
    const out: GaugeSample[] = [];
    for (const s of source) {
      const step = Math.floor(s.at / stepMs) * stepMs;
      const last = out.at(-1);
      if (last && last.at === step) out[out.length - 1] = maxOf(last, s, step);
      else out.push({ ...s, at: step });
    }
    return out;
  }
}

function maxOf(a: GaugeSample, b: GaugeSample, at: number): GaugeSample {
  const out = { at } as GaugeSample;
  for (const name of GAUGE_NAMES) out[name] = Math.max(a[name], b[name]);
  return out;
}

/** Removes the leading samples older than `cutoff` (the arrays are in time order). */
function dropBefore(samples: GaugeSample[], cutoff: number): void {
  let n = 0;
  while (n < samples.length && samples[n].at < cutoff) n++;
  if (n > 0) samples.splice(0, n);
}
