// Issue 3's benchmark targets, printed beside the figures (the benchmark reports; it never fails).
export const TARGET_RATIO = 0.5;
export const TARGET_DEAD_COST = 0.2;
export const TARGET_P99_MS = 200;
