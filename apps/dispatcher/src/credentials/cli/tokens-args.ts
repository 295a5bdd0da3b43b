// The `npm run tokens` command line, parsed into the one operator-API request it makes. Pure.

export class UsageError extends Error {}

export const USAGE = `usage: npm run tokens -- <command>
  create --account <id> --name <name>   issue a token for one account (shown once)
  create --service --name <name>        issue a service token (publishes for any account)
  list --account <id> | list --service  tokens' metadata (id, name, created, last used, revoked)
  revoke <token id>                     refused by every instance within seconds
options: --url <dispatcher url> (default $DISPATCHER_URL or http://127.0.0.1:3001);
the operator token is read from $DISPATCHER_API_TOKEN`;

export interface TokensRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: { name: string };
  baseUrl: string;
  operatorToken: string;
}

export function parseTokensArgs(argv: string[], env: Record<string, string | undefined>): TokensRequest {
  const [command, ...rest] = argv;
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) positional.push(arg);
    else if (arg === '--service') flags.set('service', true);
    else if (['--account', '--name', '--url'].includes(arg)) {
      const value = rest[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      flags.set(arg.slice(2), value);
    } else throw new UsageError(`unknown option ${arg}`);
  }
  const operatorToken = env.DISPATCHER_API_TOKEN;
  if (!operatorToken) throw new UsageError('set DISPATCHER_API_TOKEN to the operator token');
  const baseUrl = String(flags.get('url') ?? env.DISPATCHER_URL ?? 'http://127.0.0.1:3001').replace(
    /\/+$/,
    '',
  );
  const common = { baseUrl, operatorToken };
  const account = flags.get('account');
  const service = flags.get('service') === true;
  const owner = (): string => {
    if (service === (account !== undefined)) throw new UsageError('give either --account <id> or --service');
    if (service) return '/api/v1/operator/service-tokens';
    if (!/^[1-9][0-9]{0,15}$/.test(String(account)))
      throw new UsageError(`--account must be a positive integer, got "${String(account)}"`);
    return `/api/v1/operator/accounts/${String(account)}/tokens`;
  };
  switch (command) {
    case 'create': {
      const name = flags.get('name');
      if (typeof name !== 'string') throw new UsageError('create needs --name <name>');
      return { ...common, method: 'POST', path: owner(), body: { name } };
    }
    case 'list':
      return { ...common, method: 'GET', path: owner() };
    case 'revoke': {
      if (positional.length !== 1) throw new UsageError('revoke needs one token id');
      return {
        ...common,
        method: 'DELETE',
        path: `/api/v1/operator/tokens/${encodeURIComponent(positional[0])}`,
      };
    }
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'no command');
  }
}
