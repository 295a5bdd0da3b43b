// Issue 3's benchmark targets, printed beside the figures (the benchmark reports; it never fails).
export const TARGET_RATIO = 0.5;
export const TARGET_DEAD_COST = 0.2;
export const TARGET_P99_MS = 200;

/** Issue 10's target: the hot path with metrics and rollups on within this share of it without. */
export const TARGET_OBSERVABILITY_COST = 0.05;
