// Encryption at rest for webhook signing secrets (docs/decisions/0017-secrets-at-rest.md).
// A sealed value is `v1:<keyId>:<iv>:<ciphertext+tag>` (base64 parts): AES-256-GCM, a random
// 12-byte IV per seal, and associated data naming the field and row it belongs to (e.g.
// `webhooks.secret:<webhook id>`), so a ciphertext copied into another row or field does not open.
// Keys come from SECRET_ENCRYPTION_KEYS: the first seals, every one opens, so a key can be rotated.
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

export const SECRET_KEYS_VAR = 'SECRET_ENCRYPTION_KEYS';

/** One encryption key: an id (stored beside every value it seals) and 32 bytes, as a KeyObject (never printed). */
export interface SecretKey {
  id: string;
  key: KeyObject;
}

/** Why a stored value could not be opened; the message names the field and row, never the value. */
export class SecretBoxError extends Error {
  constructor(
    readonly reason: 'unknown_key' | 'tampered' | 'malformed',
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Secrets written before encryption (`generateSecret()`'s form), read as they are until re-sealed. */
const LEGACY_PLAINTEXT_PREFIX = 'whsec_';

export class SecretBox {
  private readonly keys: ReadonlyMap<string, KeyObject>;
  /** The key that seals: the first configured. */
  readonly currentKeyId: string;

  constructor(keys: readonly SecretKey[]) {
    if (keys.length === 0) throw new Error(`${SECRET_KEYS_VAR} holds no key`);
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    this.currentKeyId = keys[0].id;
  }

  /** Key ids this box opens, newest first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** Seals `plaintext` under the newest key, bound to `context` (the field and row it is stored in). */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}:${this.currentKeyId}:${iv.toString('base64')}:${body.toString('base64')}`;
  }

  /** Opens a value sealed for `context`; throws SecretBoxError for an unknown key, a tampered or malformed value. */
  open(sealed: string, context: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 4 || parts[0] !== VERSION)
      throw new SecretBoxError(
        'malformed',
        `${context}: not a sealed value (expected ${VERSION}:<key id>:…)`,
      );
    const [, keyId, ivText, bodyText] = parts;
    const key = this.keys.get(keyId);
    if (key === undefined)
      throw new SecretBoxError(
        'unknown_key',
        `${context}: sealed with key "${keyId}", which is not in ${SECRET_KEYS_VAR} (it holds ${this.keyIds.join(', ')}); ` +
          `add that key back (run secrets:reencrypt before removing a key)`,
      );
    const iv = BASE64.test(ivText) ? Buffer.from(ivText, 'base64') : Buffer.alloc(0);
    const body = BASE64.test(bodyText) ? Buffer.from(bodyText, 'base64') : Buffer.alloc(0);
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES)
      throw new SecretBoxError('malformed', `${context}: the sealed value is cut or garbled`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        'tampered',
        `${context}: does not open under key "${keyId}": the value was altered, or sealed for another field or row`,
      );
    }
  }

  /**
   * A stored value as plaintext: a sealed one is opened; a legacy plaintext `whsec_` secret (written
   * before encryption, or by an instance not yet upgraded) is returned as it is, until it is re-sealed.
   */
  reveal(stored: string, context: string): string {
    if (isLegacyPlaintext(stored)) return stored;
    return this.open(stored, context);
  }

  /** True when `stored` is sealed under the newest key (nothing for secrets:reencrypt to do). */
  isCurrent(stored: string): boolean {
    return stored.startsWith(`${VERSION}:${this.currentKeyId}:`);
  }
}

/** A secret stored before encryption at rest. */
export function isLegacyPlaintext(stored: string): boolean {
  return stored.startsWith(LEGACY_PLAINTEXT_PREFIX);
}

/** The key id a stored value was sealed with; null for a legacy plaintext value. */
export function sealedKeyId(stored: string): string | null {
  const parts = stored.split(':');
  return parts.length === 4 && parts[0] === VERSION ? parts[1] : null;
}

/**
 * Parses SECRET_ENCRYPTION_KEYS: `<id>:<base64 of 32 bytes>` entries, comma-separated, newest
 * first. Problems name the variable and the key id, never key material.
 */
export function parseSecretKeys(raw: string): { keys: SecretKey[]; problems: string[] } {
  const keys: SecretKey[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const entries = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) problems.push(`${SECRET_KEYS_VAR} holds no key`);
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon);
    const material = colon < 0 ? '' : entry.slice(colon + 1);
    const where = `${SECRET_KEYS_VAR} entry ${i + 1}`;
    if (!KEY_ID.test(id)) {
      problems.push(`${where} must be <key id>:<base64 key>, the id 1-32 of A-Z a-z 0-9 _ -`);
      return;
    }
    const bytes = BASE64.test(material) ? Buffer.from(material, 'base64') : Buffer.alloc(0);
    if (bytes.length !== KEY_BYTES) {
      problems.push(
        `${where} (key "${id}") must be ${KEY_BYTES} bytes in base64 (openssl rand -base64 32), got ${bytes.length} bytes`,
      );
      return;
    }
    if (keys.some((k) => k.id === id)) {
      problems.push(`${SECRET_KEYS_VAR} names key "${id}" twice`);
      return;
    }
    const fingerprint = bytes.toString('hex');
    const twin = seen.get(fingerprint);
    if (twin !== undefined) problems.push(`${SECRET_KEYS_VAR}: keys "${twin}" and "${id}" are the same key`);
    seen.set(fingerprint, id);
    keys.push({ id, key: createSecretKey(bytes) });
    bytes.fill(0);
  });
  return { keys, problems };
}
