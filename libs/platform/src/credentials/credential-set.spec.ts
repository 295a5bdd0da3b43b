import { CredentialSet } from './credential-set';
import { issueToken } from './credential-token';

let seed = 0;
const random = (n: number) => Buffer.alloc(n, seed++);

function issued(id: string, scope: 'account' | 'service', accountId: number | null) {
  const { token, sha256 } = issueToken(scope, random);
  const record = { id, scope, account_id: accountId, token_sha256: sha256, created_at: 'now' };
  return { token, change: { kind: 'issued' as const, record } };
}

describe('CredentialSet', () => {
  it('resolves an issued token to its principal until it is revoked', () => {
    const set = new CredentialSet();
    const a = issued('a', 'account', 42);
    const s = issued('s', 'service', null);
    set.apply(a.change);
    set.apply(s.change);
    expect(set.resolve(a.token)).toEqual({ kind: 'account', tokenId: 'a', accountId: 42 });
    expect(set.resolve(s.token)).toEqual({ kind: 'service', tokenId: 's' });
    set.apply({ kind: 'revoked', id: 'a' });
    expect(set.resolve(a.token)).toBeUndefined();
    expect(set.resolve(s.token)).toBeDefined();
    expect(set.size).toBe(1);
  });

  it('knows nothing of tokens it was never told of, nor of malformed ones', () => {
    const set = new CredentialSet();
    set.apply(issued('a', 'account', 42).change);
    expect(set.resolve(issueToken('account', random).token)).toBeUndefined();
    expect(set.resolve('test-dispatcher-token')).toBeUndefined();
    expect(set.resolve('')).toBeUndefined();
  });

  it('refuses a token whose prefix claims another scope than its record', () => {
    const set = new CredentialSet();
    const { token, change } = issued('a', 'account', 42);
    set.apply({ kind: 'issued', record: { ...change.record, scope: 'service', account_id: null } });
    expect(set.resolve(token)).toBeUndefined();
  });

  it('takes a replayed record again after its tombstone only if it comes again', () => {
    const set = new CredentialSet();
    const a = issued('a', 'account', 42);
    set.apply(a.change);
    set.apply({ kind: 'revoked', id: 'a' });
    set.apply({ kind: 'revoked', id: 'a' });
    expect(set.resolve(a.token)).toBeUndefined();
  });

  it('keeps a revocation final when the issued record arrives after it (a revoke applied locally first)', () => {
    const set = new CredentialSet();
    const a = issued('a', 'account', 42);
    set.apply({ kind: 'revoked', id: 'a' });
    set.apply(a.change);
    expect(set.resolve(a.token)).toBeUndefined();
    expect(set.size).toBe(0);
  });
});
