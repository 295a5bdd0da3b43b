import { decideAccess, type Principal, type RouteAccess } from './principal';

const operator: Principal = { kind: 'operator' };
const account42: Principal = { kind: 'account', tokenId: 't1', accountId: 42 };
const service: Principal = { kind: 'service', tokenId: 't2' };

describe('decideAccess', () => {
  const table: [string, Principal, RouteAccess, string | undefined, 'allow' | 'not_found'][] = [
    ['operator, any account route', operator, 'account', '7', 'allow'],
    ['operator, operator route', operator, 'operator', undefined, 'allow'],
    ['operator, publish', operator, 'publish', '7', 'allow'],
    ['account, its own account', account42, 'account', '42', 'allow'],
    ['account, another account', account42, 'account', '43', 'not_found'],
    ['account, its id with a leading zero', account42, 'account', '042', 'not_found'],
    ['account, its id signed', account42, 'account', '+42', 'not_found'],
    ['account, a route without an account', account42, 'account', undefined, 'not_found'],
    ['account, operator route', account42, 'operator', undefined, 'not_found'],
    ['account, publish for itself', account42, 'publish', '42', 'allow'],
    ['account, publish for another', account42, 'publish', '43', 'not_found'],
    ['service, publish for any account', service, 'publish', '43', 'allow'],
    ['service, an account route', service, 'account', '43', 'not_found'],
    ['service, operator route', service, 'operator', undefined, 'not_found'],
    ['anyone, public route', service, 'public', undefined, 'allow'],
  ];
  it.each(table)('%s', (_, principal, access, path, expected) => {
    expect(decideAccess(principal, access, path)).toBe(expected);
  });
});
