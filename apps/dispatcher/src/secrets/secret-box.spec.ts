import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { parseSecretKeys, SecretBox, SecretBoxError, sealedKeyId } from './secret-box';

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');

function box(raw: string): SecretBox {
  const { keys, problems } = parseSecretKeys(raw);
  expect(problems).toEqual([]);
  return new SecretBox(keys);
}

function failure(fn: () => unknown): SecretBoxError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SecretBoxError) return error;
    throw error;
  }
  throw new Error('expected a SecretBoxError');
}

describe('SecretBox', () => {
  const secret = 'whsec_c2VjcmV0LXNpZ25pbmcta2V5LWZvci10ZXN0cw==';
  const context = 'webhooks.secret:8c7b6f1e-0000-4000-8000-000000000001';

  it('seals to v1:<key id>:<iv>:<ciphertext+tag> and opens it again', () => {
    const b = box(`k1:${K1}`);
    const sealed = b.seal(secret, context);
    expect(sealed).toMatch(/^v1:k1:[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain('whsec_');
    expect(sealedKeyId(sealed)).toBe('k1');
    expect(b.open(sealed, context)).toBe(secret);
  });

  it('uses a fresh IV for every seal', () => {
    const b = box(`k1:${K1}`);
    expect(b.seal(secret, context)).not.toBe(b.seal(secret, context));
  });

  it('seals with the first key and opens with any configured one', () => {
    const old = box(`k1:${K1}`);
    const rotated = box(`k2:${K2},k1:${K1}`);
    const underOld = old.seal(secret, context);
    expect(rotated.open(underOld, context)).toBe(secret);
    expect(rotated.isCurrent(underOld)).toBe(false);
    const underNew = rotated.seal(secret, context);
    expect(sealedKeyId(underNew)).toBe('k2');
    expect(rotated.isCurrent(underNew)).toBe(true);
  });

  it('refuses a value sealed with a key it does not hold, naming the key and the variable', () => {
    const sealed = box(`k1:${K1}`).seal(secret, context);
    const error = failure(() => box(`k2:${K2}`).open(sealed, context));
    expect(error.reason).toBe('unknown_key');
    expect(error.message).toContain('"k1"');
    expect(error.message).toContain('SECRET_ENCRYPTION_KEYS');
    expect(error.message).toContain(context);
  });

  it('refuses a tampered ciphertext, IV or tag', () => {
    const b = box(`k1:${K1}`);
    const [v, id, iv, body] = b.seal(secret, context).split(':');
    const flip = (text: string, at: number) => {
      const bytes = Buffer.from(text, 'base64');
      bytes[at] ^= 0x01;
      return bytes.toString('base64');
    };
    const bodyBytes = Buffer.from(body, 'base64').length;
    for (const tampered of [
      [v, id, iv, flip(body, 0)], // ciphertext
      [v, id, iv, flip(body, bodyBytes - 1)], // tag
      [v, id, flip(iv, 0), body],
    ]) {
      const error = failure(() => b.open(tampered.join(':'), context));
      expect(error.reason).toBe('tampered');
      expect(error.message).not.toContain(secret);
    }
  });

  it('refuses a ciphertext moved to another row or field (associated data)', () => {
    const b = box(`k1:${K1}`);
    const sealed = b.seal(secret, context);
    expect(failure(() => b.open(sealed, 'webhooks.secret:another-row')).reason).toBe('tampered');
    expect(failure(() => b.open(sealed, context.replace('secret', 'previous_secret'))).reason).toBe(
      'tampered',
    );
  });

  it('refuses malformed values without echoing them', () => {
    const b = box(`k1:${K1}`);
    for (const bad of [
      '',
      'plain',
      'v2:k1:a:b',
      'v1:k1:!!:??',
      'v1:k1:AAAA:AAAA',
      `v1:k1:${'A'.repeat(16)}`,
    ]) {
      const error = failure(() => b.open(bad, context));
      expect(error.reason).toBe('malformed');
      if (bad !== '') expect(error.message).not.toContain(bad);
    }
  });

  it('reveals a legacy plaintext whsec_ secret as it is, and opens sealed ones', () => {
    const b = box(`k1:${K1}`);
    expect(b.reveal(secret, context)).toBe(secret);
    expect(b.reveal(b.seal(secret, context), context)).toBe(secret);
    expect(failure(() => b.reveal('not-a-secret', context)).reason).toBe('malformed');
  });
});

describe('parseSecretKeys', () => {
  it('reads id:base64 entries, newest first', () => {
    const { keys, problems } = parseSecretKeys(` k2:${K2} , k1:${K1} `);
    expect(problems).toEqual([]);
    expect(keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(keys[0].key.symmetricKeySize).toBe(32);
  });

  it('names the variable for every problem and never prints key material', () => {
    const short = randomBytes(16).toString('base64');
    const raw = [
      `k1:${short}`,
      `bad id:${K1}`,
      `k2:${K2}`,
      `k2:${K1}`,
      'k3',
      `k4:${K2}`,
      'k5:not base64!',
    ].join(',');
    const { problems } = parseSecretKeys(raw);
    expect(problems).toEqual([
      'SECRET_ENCRYPTION_KEYS entry 1 (key "k1") must be 32 bytes in base64 (openssl rand -base64 32), got 16 bytes',
      'SECRET_ENCRYPTION_KEYS entry 2 must be <key id>:<base64 key>, the id 1-32 of A-Z a-z 0-9 _ -',
      'SECRET_ENCRYPTION_KEYS names key "k2" twice',
      'SECRET_ENCRYPTION_KEYS entry 5 must be <key id>:<base64 key>, the id 1-32 of A-Z a-z 0-9 _ -',
      'SECRET_ENCRYPTION_KEYS: keys "k2" and "k4" are the same key',
      'SECRET_ENCRYPTION_KEYS entry 7 (key "k5") must be 32 bytes in base64 (openssl rand -base64 32), got 0 bytes',
    ]);
    for (const material of [short, K1, K2]) expect(problems.join('\n')).not.toContain(material);
  });

  it('refuses an empty list', () => {
    expect(parseSecretKeys(' , ').problems).toEqual(['SECRET_ENCRYPTION_KEYS holds no key']);
  });

  it('keeps key material out of inspection and JSON', () => {
    const { keys } = parseSecretKeys(`k1:${K1}`);
    const hex = Buffer.from(K1, 'base64').toString('hex');
    for (const text of [inspect(keys, { depth: 5 }), JSON.stringify(keys)]) {
      expect(text).not.toContain(K1);
      expect(text).not.toContain(hex);
    }
  });
});
