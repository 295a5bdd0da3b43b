// Properties of the record decoder and the validator on hostile input: they never throw, and they
// say why they refuse. Runs are bounded here; `npm run fuzz` runs many more (FUZZ_RUNS).
import fc from 'fast-check';
import {
  corruptedEventBytes,
  deepJsonText,
  FUZZ_SEED,
  fuzzRuns,
  hostileBytes,
  hostileJsonText,
  nearValidEventText,
  nastyString,
} from '../../../test/support/event-arbitraries';
import { newEventId } from './event-id';
import { allExampleEvents } from './examples';
import { decodeEventRecord, EVENT_HEADERS, toEventMessage, type RawEventRecord } from './record';
import { validateEvent } from './validation';

fc.configureGlobal({ seed: FUZZ_SEED, numRuns: fuzzRuns(100) });

const examples = allExampleEvents();

const headerValue = fc.oneof(
  nastyString,
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.constant(newEventId()),
);
const headers = fc.option(
  fc.dictionary(
    fc.oneof(fc.constantFrom(EVENT_HEADERS.eventId, EVENT_HEADERS.eventType, '__proto__'), fc.string()),
    fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 }), fc.constant(undefined)),
  ),
  { nil: undefined },
);
const key = fc.oneof(
  fc.constant(null),
  nastyString,
  fc.constantFrom('11', ''),
  fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
);
/** An event whose `event` field nests thousands deep: the validator must not recurse into it. */
const deepEventName = deepJsonText().map((text) => `{"event":${text},"account":{"id":1,"name":"a"}}`);
const value = fc.oneof(
  fc.constant(null),
  deepEventName,
  hostileBytes(examples),
  nearValidEventText().map((text) => Buffer.from(text)),
  nearValidEventText(),
  fc.constantFrom(...examples).map((e) => toEventMessage(e, newEventId()).value),
);

function record(parts: Pick<RawEventRecord, 'key' | 'value' | 'headers'>): RawEventRecord {
  return { topic: 'vowchat.messages', partition: 0, offset: '7', ...parts };
}

describe('decodeEventRecord (fuzzed)', () => {
  it('never throws: a reason for a bad record, the exact value as the body of a good one', () => {
    fc.assert(
      fc.property(key, value, headers, (k, v, h) => {
        const decoded = decodeEventRecord(record({ key: k, value: v, headers: h }));
        if (!decoded.ok) {
          expect(typeof decoded.reason).toBe('string');
          expect(decoded.reason.trim()).not.toBe('');
        } else {
          // Byte for byte: a value that is not valid UTF-8 is not what was published.
          expect(Buffer.from(decoded.body).equals(Buffer.from(v!))).toBe(true);
          expect(decoded.event.account.id).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('decodes every example whatever its key and headers hold, or names why not', () => {
    fc.assert(
      fc.property(fc.constantFrom(...examples), key, headers, (event, k, h) => {
        const message = toEventMessage(event, newEventId());
        const decoded = decodeEventRecord(record({ key: k, value: Buffer.from(message.value), headers: h }));
        if (decoded.ok) expect(decoded.body).toBe(message.value);
        else expect(decoded.reason).toMatch(/record key/);
      }),
    );
  });

  it('never throws on corrupted example bytes', () => {
    fc.assert(
      fc.property(corruptedEventBytes(examples), (bytes) => {
        const decoded = decodeEventRecord(record({ key: null, value: bytes }));
        expect(decoded.ok || decoded.reason.length > 0).toBe(true);
      }),
    );
  });
});

describe('validateEvent (fuzzed)', () => {
  it('never throws on any JSON, however deep, and names a field for every problem', () => {
    fc.assert(
      fc.property(fc.oneof(hostileJsonText, nearValidEventText(), deepEventName), (text) => {
        const result = validateEvent(JSON.parse(text));
        if (!result.ok) {
          expect(result.problems.length).toBeGreaterThan(0);
          for (const p of result.problems) {
            expect(p.field).not.toBe('');
            expect(p.message).not.toBe('');
            // A problem quotes at most a short prefix of any string it names.
            expect(p.message.length).toBeLessThan(1_000);
          }
        }
      }),
    );
  });
});
