import { isDatabaseUnreachable } from './database-errors';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnreachable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a server shutting down', withCode('terminating connection due to administrator command', '57P01')],
    ['a server starting up', withCode('the database system is starting up', '57P03')],
    ['a connection exception', withCode('connection failure', '08006')],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['an unconnected TypeORM DataSource', new Error('Driver not Connected')],
    [
      'every address refusing',
      new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], 'connect failed'),
    ],
  ])('is true for %s', (_, error) => {
    expect(isDatabaseUnreachable(error)).toBe(true);
  });

  it.each([
    ['a missing database', withCode('database "x" does not exist', '3D000')],
    ['a failed password', withCode('password authentication failed for user "x"', '28P01')],
    ['a unique violation', withCode('duplicate key value violates unique constraint', '23505')],
    ['a missing table', withCode('relation "webhooks" does not exist', '42P01')],
    ['a programming error', new TypeError('x is undefined')],
    ['a value that is not an error', 'ECONNREFUSED'],
  ])('is false for %s', (_, error) => {
    expect(isDatabaseUnreachable(error)).toBe(false);
  });
});
