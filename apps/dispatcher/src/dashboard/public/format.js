// How the dashboard writes numbers: one place, so the browser test can state what a figure must
// read. Fixed to en-US so the page reads the same on every operator's machine.

const counts = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count: 12,345; a dash when absent. */
export function count(n) {
  return n === null || n === undefined ? '—' : counts.format(n);
}

/** A ratio 0..1 as a percentage with two decimals: 86.96 %. */
export function pct(r) {
  return r === null || r === undefined ? '—' : `${(r * 100).toFixed(2)} %`;
}

/** A rate: two significant decimals under 10, whole numbers above. */
export function rate(n) {
  if (n === null || n === undefined) return '—';
  return n < 10 ? n.toFixed(2) : counts.format(Math.round(n));
}

/** A duration in milliseconds, in the unit that reads best: 12 ms, 1.25 s, 3.5 min, 2.1 h. */
export function ms(v) {
  if (v === null || v === undefined) return '—';
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 2)} s`;
  if (v < 3_600_000) return `${(v / 60_000).toFixed(1)} min`;
  if (v < 86_400_000) return `${(v / 3_600_000).toFixed(1)} h`;
  return `${(v / 86_400_000).toFixed(1)} d`;
}

/** Seconds, as a duration. */
export function seconds(s) {
  return s === null || s === undefined ? '—' : ms(s * 1000);
}

/** A burn rate: 0.42×. */
export function burn(b) {
  return b === null || b === undefined ? '—' : `${b.toFixed(2)}×`;
}

/** An ISO time as local wall-clock time (with the date when it is not today). */
export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString('en-GB', { hour12: false })
    : `${d.toLocaleDateString('en-CA')} ${d.toLocaleTimeString('en-GB', { hour12: false, hour: '2-digit', minute: '2-digit' })}`;
}

/** How long ago an ISO time was, to the second at most: 42 s ago, 3.5 min ago. */
export function ago(iso, now = Date.now()) {
  if (!iso) return '—';
  const elapsed = Math.max(0, now - Date.parse(iso));
  return elapsed < 60_000 ? `${Math.round(elapsed / 1000)} s ago` : `${ms(elapsed)} ago`;
}
