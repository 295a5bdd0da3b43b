// Micro-benchmark of the event decoder's validation (docs/decisions/0018-schemas.md): the hand
// validator against the events' zod schemas, on the spec's eight examples as the dispatcher gets
// them (a JSON.parse of the record value each time). Prints ns per event for each, and the share
// of a whole decode (parse + validate) that validation takes.
// Run: npx ts-node --transpile-only -r tsconfig-paths/register bench/event-validation.ts
import { allExampleEvents, EVENT_SCHEMAS, isEventType, validateEvent } from '@vowchat/events';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PER_ROUND = Number(process.env.PER_ROUND ?? 400_000);
const bodies = allExampleEvents().map((e) => JSON.stringify(e));

function zodValidate(input: unknown): boolean {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
  const type = (input as { event?: unknown }).event;
  return isEventType(type) && EVENT_SCHEMAS[type].safeParse(input).success;
}

const candidates: Record<string, (input: unknown) => boolean> = {
  'parse only': () => true,
  'parse + hand validator (validateEvent)': (input) => validateEvent(input).ok,
  'parse + zod schema (safeParse)': zodValidate,
};

function run(check: (input: unknown) => boolean): number {
  let ok = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < PER_ROUND; i++) if (check(JSON.parse(bodies[i % bodies.length]))) ok++;
  const ns = Number(process.hrtime.bigint() - start) / PER_ROUND;
  if (ok !== PER_ROUND) throw new Error('an example was refused');
  return ns;
}

const results: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved, so both see the same machine conditions; the first round warms the JIT up.
  for (const [name, check] of Object.entries(candidates)) (results[name] ??= []).push(run(check));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const parse = median(results['parse only'].slice(1));
for (const [name, times] of Object.entries(results)) {
  const ns = median(times.slice(1));
  const validation = ns - parse;
  console.log(
    `${name.padEnd(42)} ${ns.toFixed(0).padStart(6)} ns/event` +
      (name === 'parse only'
        ? ''
        : `   validation ≈ ${validation.toFixed(0)} ns (${((validation / ns) * 100).toFixed(0)} % of the decode)`),
  );
}
