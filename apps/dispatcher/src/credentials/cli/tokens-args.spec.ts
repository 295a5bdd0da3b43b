import { parseTokensArgs, UsageError } from './tokens-args';

const env = { DISPATCHER_API_TOKEN: 'op' };

describe('npm run tokens', () => {
  it('creates an account token through the operator API', () => {
    expect(parseTokensArgs(['create', '--account', '42', '--name', 'ci'], env)).toEqual({
      method: 'POST',
      path: '/api/v1/operator/accounts/42/tokens',
      body: { name: 'ci' },
      baseUrl: 'http://127.0.0.1:3001',
      operatorToken: 'op',
    });
  });

  it('creates and lists service tokens, lists and revokes', () => {
    expect(parseTokensArgs(['create', '--service', '--name', 'inbox'], env).path).toBe(
      '/api/v1/operator/service-tokens',
    );
    expect(parseTokensArgs(['list', '--account', '7'], env)).toMatchObject({
      method: 'GET',
      path: '/api/v1/operator/accounts/7/tokens',
    });
    expect(parseTokensArgs(['list', '--service'], env).path).toBe('/api/v1/operator/service-tokens');
    expect(parseTokensArgs(['revoke', 'abc'], env)).toMatchObject({
      method: 'DELETE',
      path: '/api/v1/operator/tokens/abc',
    });
  });

  it('takes the dispatcher from --url or DISPATCHER_URL', () => {
    expect(parseTokensArgs(['list', '--service', '--url', 'http://d:9/'], env).baseUrl).toBe('http://d:9');
    expect(parseTokensArgs(['list', '--service'], { ...env, DISPATCHER_URL: 'http://e:1' }).baseUrl).toBe(
      'http://e:1',
    );
  });

  it.each([
    [[], env, 'no command'],
    [['create', '--account', '42'], env, 'create needs --name'],
    [['create', '--account', '42', '--service', '--name', 'x'], env, 'either --account'],
    [['list'], env, 'either --account'],
    [['list', '--account', '0'], env, 'positive integer'],
    [['revoke'], env, 'one token id'],
    [['list', '--service', '--verbose'], env, 'unknown option'],
    [['list', '--service'], {}, 'DISPATCHER_API_TOKEN'],
  ])('refuses %j', (argv, environment, message) => {
    expect(() => parseTokensArgs(argv, environment)).toThrow(UsageError);
    expect(() => parseTokensArgs(argv, environment)).toThrow(message);
  });
});
