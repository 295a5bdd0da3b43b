import { issueToken, sameSecret, scopeOfToken, TOKEN_PREFIXES, tokenSha256 } from './credential-token';

const fixed = (byte: number) => (n: number) => Buffer.alloc(n, byte);

describe('issued tokens', () => {
  it('are a scope prefix and 32 random bytes in base64url, stored as their SHA-256', () => {
    const { token, sha256 } = issueToken('account', fixed(0xab));
    expect(token).toBe(TOKEN_PREFIXES.account + Buffer.alloc(32, 0xab).toString('base64url'));
    expect(token).toHaveLength('vwc_acct_'.length + 43);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256).toBe(tokenSha256(token));
    expect(sha256).not.toContain(token.slice(9));
    expect(issueToken('service', fixed(1)).token.startsWith('vwc_svc_')).toBe(true);
  });

  it('differ with the randomness, so two issues never share a hash', () => {
    let n = 0;
    const counter = (size: number) => Buffer.alloc(size, n++);
    expect(issueToken('account', counter).sha256).not.toBe(issueToken('account', counter).sha256);
  });

  it('name their scope by prefix, and nothing else is taken for one', () => {
    const account = issueToken('account', fixed(7)).token;
    const service = issueToken('service', fixed(7)).token;
    expect(scopeOfToken(account)).toBe('account');
    expect(scopeOfToken(service)).toBe('service');
    for (const other of [
      'test-dispatcher-token',
      'vwc_acct_',
      account.slice(0, -1),
      account + 'A',
      account.replace(/.$/, '+'),
      'vwc_root_' + account.slice(9),
    ])
      expect(scopeOfToken(other)).toBeUndefined();
  });

  it('compare hashes in constant time, and only equal ones match', () => {
    const h = tokenSha256('x');
    expect(sameSecret(h, tokenSha256('x'))).toBe(true);
    expect(sameSecret(h, tokenSha256('y'))).toBe(false);
    expect(sameSecret(h, h.slice(1))).toBe(false);
  });
});
