// Sums over a window's finished hours (health-window.ts `windowRanges`), kept per slot (a window's
// ranking, its platform figures) so that the operator view scans the 10,000-webhook rollups of a
// 24 h or 7 d window once in a while instead of on every call. Finished hours change only when the
// projector writes late, so a reading a few seconds old is served while a fresh one is read in the
// background; one older than `maxStaleMs` (nobody asked for a while) or of other hours (the hour
// turned) is read again before answering. A failed read is not kept.

export interface FinishedHoursCacheSettings {
  /** Age after which a call is answered from the kept reading but triggers a fresh one. */
  refreshAfterMs: number;
  /** Age after which the kept reading is not served at all. */
  maxStaleMs: number;
}

interface Entry {
  key: string;
  at: number;
  value: Promise<unknown>;
  refreshing: boolean;
}

export class FinishedHoursCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly settings: FinishedHoursCacheSettings) {}

  /** The reading of `slot` for `key` (the hours it covers), from `load` when none fit. */
  get<T>(slot: string, key: string, load: () => Promise<T>, nowMs: number): Promise<T> {
    const entry = this.entries.get(slot);
    if (!entry || entry.key !== key || nowMs - entry.at >= this.settings.maxStaleMs)
      return this.read(slot, key, load, nowMs);
    if (nowMs - entry.at >= this.settings.refreshAfterMs && !entry.refreshing) {
      entry.refreshing = true;
      load().then(
        (value) => {
          if (this.entries.get(slot) === entry)
            this.entries.set(slot, { key, at: nowMs, value: Promise.resolve(value), refreshing: false });
        },
        () => {
          if (this.entries.get(slot) === entry) this.entries.delete(slot); // the next call reads again
        },
      );
    }
    return entry.value as Promise<T>;
  }

  private read<T>(slot: string, key: string, load: () => Promise<T>, nowMs: number): Promise<T> {
    const value = load();
    const entry: Entry = { key, at: nowMs, value, refreshing: false };
    this.entries.set(slot, entry);
    value.catch(() => {
      if (this.entries.get(slot) === entry) this.entries.delete(slot);
    });
    return value;
  }
}
