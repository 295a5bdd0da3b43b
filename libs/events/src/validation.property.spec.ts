// The hand validator (the decoder's fast path) is held to the events' schemas: for the examples,
// near-valid mutations of them and hostile JSON, both give the same verdict and the same problems.
import fc from 'fast-check';
import {
  FUZZ_SEED,
  fuzzRuns,
  hostileJsonText,
  nearValidEventText,
} from '../../../test/support/event-arbitraries';
import { EVENT_TYPES } from './event-types';
import { allExampleEvents, exampleEvent } from './examples';
import { validateEvent, validateEventBySchema } from './validation';

fc.configureGlobal({ seed: FUZZ_SEED, numRuns: fuzzRuns(2_000) });

/** A value of the shape an event field might take, wrong types included. */
const fieldValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1, 1.5, 2 ** 53, '', ' ', 'x', 'open', 'user', [], {}, [1], {
    a: 1,
  }),
  fc.jsonValue({ maxDepth: 2 }),
);

describe('validateEvent agrees with the schemas', () => {
  it.each(EVENT_TYPES)('on the example %s', (type) => {
    const event = exampleEvent(type);
    expect(validateEvent(event)).toEqual(validateEventBySchema(event));
    expect(validateEventBySchema(event)).toEqual({ ok: true, event });
  });

  it('on near-valid mutations of the examples', () => {
    fc.assert(
      fc.property(nearValidEventText(), (text) => {
        const input: unknown = JSON.parse(text);
        expect(validateEvent(input)).toEqual(validateEventBySchema(input));
      }),
    );
  });

  it('on every field of every example set to values of every type, or removed', () => {
    const examples = allExampleEvents();
    const paths = (value: unknown, prefix: string[] = []): string[][] =>
      typeof value !== 'object' || value === null || Array.isArray(value)
        ? [prefix]
        : [
            prefix,
            ...Object.keys(value).flatMap((k) =>
              paths((value as Record<string, unknown>)[k], [...prefix, k]),
            ),
          ];
    fc.assert(
      fc.property(
        fc.constantFrom(...examples),
        fc.nat(),
        fc.option(fieldValue, { nil: undefined }),
        fc.option(fc.tuple(fc.nat(), fc.option(fieldValue, { nil: undefined })), { nil: undefined }),
        (example, pick, value, second) => {
          const all = paths(example).filter((p) => p.length > 0 && p[0] !== 'event');
          const copy = structuredClone(example) as unknown as Record<string, unknown>;
          const set = (path: string[], v: unknown) => {
            let node = copy;
            for (const key of path.slice(0, -1)) {
              if (typeof node[key] !== 'object' || node[key] === null) return;
              node = node[key] as Record<string, unknown>;
            }
            if (v === undefined) delete node[path[path.length - 1]];
            else node[path[path.length - 1]] = v;
          };
          set(all[pick % all.length], value);
          if (second) set(all[second[0] % all.length], second[1]);
          expect(validateEvent(copy)).toEqual(validateEventBySchema(copy));
        },
      ),
    );
  });

  it('on hostile JSON', () => {
    fc.assert(
      fc.property(hostileJsonText, (text) => {
        const input: unknown = JSON.parse(text);
        expect(validateEvent(input)).toEqual(validateEventBySchema(input));
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});
