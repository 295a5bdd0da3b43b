// fast-check arbitraries for the fuzz suite: hostile JSON, deep nesting, prototype keys, invalid
// UTF-8, and near-valid mutations of the spec's example events. Shared by the unit property specs
// (beside the code) and the HTTP fuzz tests. Runs: FUZZ_RUNS (npm run fuzz sets it high).
import fc from 'fast-check';
import { allExampleEvents, type AccountRef, type VowChatEvent } from '@vowchat/events';

/** One seed for the whole suite, so a failure replays exactly. */
export const FUZZ_SEED = 20_241_125;

/** FUZZ_RUNS when set (the long run), else `fallback` (what `npm test` affords). */
export function fuzzRuns(fallback: number): number {
  const runs = Number(process.env.FUZZ_RUNS);
  return Number.isSafeInteger(runs) && runs > 0 ? runs : fallback;
}

/** Keys that trip code which treats JSON objects as prototypes or dictionaries. */
export const prototypeKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
);

/** JSON text of arrays or objects nested up to `maxDepth` levels (past any stack's recursion). */
export function deepJsonText(maxDepth = 6_000): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: 1, max: maxDepth }), fc.boolean())
    .map(([depth, array]) =>
      array ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
    );
}

/** Strings that are hard on parsers, databases and logs: NUL, lone surrogates, long runs, controls. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom(
    '\u0000',
    '\ud800',
    '\udfff',
    '\u202e',
    '\r\n',
    '%00',
    '../..',
    '',
    ' ',
    'null',
    '-1',
    '1e309',
  ),
  fc.integer({ min: 1_000, max: 70_000 }).map((n) => 'x'.repeat(n)),
);

/**
 * JSON text of any value: some nested thousands deep, some with prototype keys or nasty strings.
 * Text, not values: a deep value would overflow JSON.stringify (and jest's equality) in the test itself.
 */
export const hostileJsonText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: deepJsonText() },
  { weight: 1, arbitrary: nastyString.map((v) => JSON.stringify(v)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(prototypeKey, fc.jsonValue({ maxDepth: 2 }))
      .map(([key, value]) => `{${JSON.stringify(key)}:${JSON.stringify(value)}}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('1e308', '-0', '9007199254740993', '0.5', '-1', '[]', '{}', 'null'),
  },
);

/** Every path (as keys) inside `value`, containers included. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return [prefix, ...keys.flatMap((k) => pathsOf((value as Record<string, unknown>)[k], [...prefix, k]))];
}

const HOLE = '\u0000hole\u0000';

/**
 * The JSON text of an example event with one field replaced by hostile JSON or deleted, and maybe
 * a hostile key added (a "__proto__" key stays an own property once parsed, as from a client).
 */
export function nearValidEventText(account?: AccountRef): fc.Arbitrary<string> {
  const examples = allExampleEvents(account);
  return fc
    .tuple(
      fc.constantFrom(...examples),
      fc.nat(),
      fc.option(hostileJsonText),
      fc.option(fc.tuple(fc.oneof(prototypeKey, fc.string()), hostileJsonText)),
    )
    .map(([example, pick, replacement, added]) => {
      const paths = pathsOf(example).filter((p) => p.length > 0);
      const path = paths[pick % paths.length];
      const copy = structuredClone(example) as unknown as Record<string | number, unknown>;
      let node = copy;
      for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
      const last = path[path.length - 1];
      if (replacement === null && !Array.isArray(node)) delete node[last];
      else node[last] = HOLE;
      let text = JSON.stringify(copy).replace(JSON.stringify(HOLE), () => replacement ?? 'null');
      if (added) text = `{${JSON.stringify(added[0])}:${added[1]},${text.slice(1)}`;
      return text;
    });
}

/** Invalid UTF-8 sequences: a stray continuation byte, a cut sequence, an overlong form, a surrogate. */
const invalidUtf8 = fc.constantFrom(
  Buffer.from([0xff]),
  Buffer.from([0x80]),
  Buffer.from([0xc3]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
);

/** The JSON bytes of a valid example event with a few bytes overwritten or invalid UTF-8 inserted. */
export function corruptedEventBytes(events: readonly VowChatEvent[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.constantFrom(...events),
      fc.array(fc.tuple(fc.nat(), fc.oneof(invalidUtf8, fc.uint8Array({ minLength: 1, maxLength: 3 }))), {
        minLength: 1,
        maxLength: 3,
      }),
    )
    .map(([event, edits]) => {
      let bytes = Buffer.from(JSON.stringify(event));
      for (const [at, insert] of edits) {
        const i = at % bytes.length;
        bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from(insert), bytes.subarray(i)]);
      }
      return bytes;
    });
}

/** Bytes for a request or record body: random, corrupted events, or hostile JSON text. */
export function hostileBytes(events: readonly VowChatEvent[]): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b)),
    corruptedEventBytes(events),
    hostileJsonText.map((text) => Buffer.from(text)),
  );
}
