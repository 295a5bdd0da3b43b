// Properties of the producer's request parsing on hostile input: it never throws, every refusal is
// a 4xx in the API's error shape naming a problem, and what it accepts can be serialised for Kafka.
import fc from 'fast-check';
import { allExampleEvents, toEventMessage } from '@vowchat/events';
import {
  FUZZ_SEED,
  fuzzRuns,
  hostileBytes,
  hostileJsonText,
  nastyString,
  nearValidEventText,
} from '../../../../test/support/event-arbitraries';
import { parseBatchRequest, parseEventRequest, type Parsed } from './ingest-request';

fc.configureGlobal({ seed: FUZZ_SEED, numRuns: fuzzRuns(100) });

const account = { id: 11, name: 'My Company' };
const examples = allExampleEvents(account);
const accountParam = fc.oneof(fc.constant('11'), nastyString, fc.stringMatching(/^[0-9]{1,20}$/));
const body = fc.oneof(
  hostileBytes(examples),
  nearValidEventText(account).map((text) => Buffer.from(text)),
  fc.constant(undefined),
);

function expectWellFormed<T>(parsed: Parsed<T>): void {
  if (parsed.ok) return;
  const { status, body: error } = parsed.error;
  expect(status >= 400 && status < 500).toBe(true);
  expect(error.error).toMatch(/^[a-z_]+$/);
  expect(error.message.trim()).not.toBe('');
  for (const p of error.problems ?? []) {
    expect(p.field).not.toBe('');
    expect(p.message).not.toBe('');
  }
}

describe('parseEventRequest (fuzzed)', () => {
  it('never throws; refuses with a 4xx naming the problem; accepts only what serialises', () => {
    fc.assert(
      fc.property(accountParam, body, (param, raw) => {
        const parsed = parseEventRequest(param, raw);
        expectWellFormed(parsed);
        if (parsed.ok) expect(() => toEventMessage(parsed.value, 'id')).not.toThrow();
      }),
    );
  });
});

describe('parseBatchRequest (fuzzed)', () => {
  it('never throws on batches holding hostile events', () => {
    const batch = fc
      .array(fc.oneof(nearValidEventText(account), hostileJsonText), { minLength: 1, maxLength: 5 })
      .map((items) => Buffer.from(`{"events":[${items.join(',')}]}`));
    fc.assert(
      fc.property(accountParam, fc.oneof(batch, body), (param, raw) => {
        const parsed = parseBatchRequest(param, raw, 500);
        expectWellFormed(parsed);
        if (parsed.ok)
          for (const event of parsed.value) expect(() => toEventMessage(event, 'id')).not.toThrow();
      }),
    );
  });
});
