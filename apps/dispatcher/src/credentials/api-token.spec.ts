import { apiTokenView, isTokenId, parseCreateToken, type ApiToken } from './api-token';

const token: ApiToken = {
  id: '0f8b6a7e-1d2c-4b3a-9e8f-7a6b5c4d3e2f',
  scope: 'account',
  accountId: 42,
  name: 'ci',
  tokenSha256: 'b'.repeat(64),
  createdAt: new Date('2025-01-01T00:00:00Z'),
  lastUsedAt: null,
  revokedAt: null,
};

describe('API token metadata', () => {
  it('shows metadata, never the hash, and the token only when given', () => {
    const view = apiTokenView(token);
    expect(view).toEqual({
      id: token.id,
      scope: 'account',
      account_id: 42,
      name: 'ci',
      created_at: '2025-01-01T00:00:00.000Z',
      last_used_at: null,
      revoked_at: null,
    });
    expect(JSON.stringify(view)).not.toContain('bbbb');
    expect(apiTokenView(token, 'vwc_acct_x').token).toBe('vwc_acct_x');
  });

  it('takes a name, trimmed', () => {
    expect(parseCreateToken({ name: ' ci ' })).toEqual({ ok: true, name: 'ci' });
  });

  it.each([
    ['no body', null, '(root)'],
    ['an array', [], '(root)'],
    ['no name', {}, 'name'],
    ['a blank name', { name: '  ' }, 'name'],
    ['a long name', { name: 'x'.repeat(101) }, 'name'],
    ['a control character', { name: 'a\nb' }, 'name'],
    ['an unknown field', { name: 'ci', scope: 'operator' }, 'scope'],
  ])('refuses %s, naming the field', (_, body, field) => {
    const parsed = parseCreateToken(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.map((p) => p.field)).toContain(field);
  });

  it('knows a token id by its shape', () => {
    expect(isTokenId(token.id)).toBe(true);
    expect(isTokenId('42')).toBe(false);
  });
});
