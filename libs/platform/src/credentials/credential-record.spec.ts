import { decodeCredentialChange, encodeCredentialChange, type CredentialRecord } from './credential-record';

const record: CredentialRecord = {
  id: '0f8b6a7e-1d2c-4b3a-9e8f-7a6b5c4d3e2f',
  scope: 'account',
  account_id: 42,
  token_sha256: 'a'.repeat(64),
  created_at: '2025-01-01T00:00:00.000Z',
};

describe('credential records', () => {
  it('round-trip an issued token, keyed by its id', () => {
    const message = encodeCredentialChange({ kind: 'issued', record });
    expect(message.key).toBe(record.id);
    expect(decodeCredentialChange(message.key, message.value)).toEqual({
      ok: true,
      change: { kind: 'issued', record },
    });
  });

  it('publish a revocation as a tombstone', () => {
    const message = encodeCredentialChange({ kind: 'revoked', id: record.id });
    expect(message).toEqual({ key: record.id, value: null });
    expect(decodeCredentialChange(message.key, null)).toEqual({
      ok: true,
      change: { kind: 'revoked', id: record.id },
    });
  });

  it.each([
    ['no key', null, JSON.stringify(record)],
    ['not JSON', record.id, '{'],
    ['another id', 'x', JSON.stringify(record)],
    ['a plaintext-looking hash', record.id, JSON.stringify({ ...record, token_sha256: 'vwc_acct_x' })],
    ['an account token without account', record.id, JSON.stringify({ ...record, account_id: null })],
    ['a service token with an account', record.id, JSON.stringify({ ...record, scope: 'service' })],
    ['an unknown scope', record.id, JSON.stringify({ ...record, scope: 'root' })],
  ])('refuse %s', (_, key, value) => {
    expect(decodeCredentialChange(key, value).ok).toBe(false);
  });

  it.each([
    [{ ...record, id: 'x' }, 'id differs from the key'],
    [{ ...record, token_sha256: 'vwc_acct_x', scope: 'root' }, 'token_sha256 is not a hex SHA-256'],
    [{ ...record, created_at: undefined }, 'created_at is missing'],
    [{ ...record, scope: 'root', account_id: 'x' }, 'scope is neither account nor service'],
    [{ ...record, account_id: 0 }, 'an account token needs a positive integer account_id'],
    [{ ...record, account_id: undefined }, 'an account token needs a positive integer account_id'],
    [{ ...record, scope: 'service', account_id: 7 }, 'a service token has account_id null'],
    [{ ...record, scope: 'service', account_id: undefined }, 'a service token has account_id null'],
  ])('gives the reason for %j', (value, reason) => {
    expect(decodeCredentialChange(record.id, JSON.stringify(value))).toEqual({ ok: false, reason });
  });
});
