import { deriveEventId, hashToUuid, isEventId, newEventId } from './event-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const versionOf = (id: string) => id[14];
const variantOf = (id: string) => id[19];

describe('newEventId', () => {
  it('is a UUIDv7 (RFC 9562 variant), unique per call', () => {
    const ids = Array.from({ length: 1_000 }, newEventId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(UUID);
      expect(versionOf(id)).toBe('7');
      expect('89ab').toContain(variantOf(id));
    }
  });

  it('orders by creation time (its first 48 bits are the millisecond clock)', () => {
    const before = Date.now();
    const id = newEventId();
    const millis = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(millis).toBeGreaterThanOrEqual(before);
    expect(millis).toBeLessThanOrEqual(Date.now());
  });
});

describe('isEventId', () => {
  it('accepts canonical UUIDs, ours and derived ones', () => {
    expect(isEventId(newEventId())).toBe(true);
    expect(isEventId(deriveEventId('vowchat.messages', 0, '0'))).toBe(true);
  });

  it.each([
    undefined,
    null,
    42,
    '',
    'evt-1',
    '01890a5d-ac96-774b-bcce-b302099a805',
    '01890a5dac96774bbcceb302099a8057',
  ])('refuses %p', (value) => {
    expect(isEventId(value)).toBe(false);
  });
});

describe('deriveEventId', () => {
  it('is stable: the same record always gets the same id', () => {
    expect(deriveEventId('vowchat.messages', 3, '1200')).toBe(deriveEventId('vowchat.messages', 3, '1200'));
    // Pinned, so a change of scheme (which would re-id every redelivered record) is a visible decision.
    expect(deriveEventId('vowchat.messages', 3, '1200')).toBe(
      hashToUuid('vowchat-event:vowchat.messages:3:1200'),
    );
  });

  it('differs when any coordinate differs', () => {
    const ids = [
      deriveEventId('vowchat.messages', 3, '1200'),
      deriveEventId('vowchat.conversations', 3, '1200'),
      deriveEventId('vowchat.messages', 4, '1200'),
      deriveEventId('vowchat.messages', 3, '1201'),
      deriveEventId('vowchat.messages', 31, '200'),
      deriveEventId('vowchat.messages3', 1, '200'),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is distinct across many offsets', () => {
    const ids = Array.from({ length: 10_000 }, (_, offset) =>
      deriveEventId('vowchat.typing', 0, String(offset)),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is a UUIDv8 (custom, RFC 9562 variant)', () => {
    const id = deriveEventId('vowchat.typing', 0, '9007199254740993');
    expect(id).toMatch(UUID);
    expect(versionOf(id)).toBe('8');
    expect('89ab').toContain(variantOf(id));
  });
});

describe('hashToUuid', () => {
  it('is deterministic and sensitive to its input', () => {
    expect(hashToUuid('delivery:a:b')).toBe(hashToUuid('delivery:a:b'));
    expect(hashToUuid('delivery:a:b')).not.toBe(hashToUuid('delivery:a:c'));
  });
});
