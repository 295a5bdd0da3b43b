import { migrationLockKey } from './migration-lock';

describe('migrationLockKey', () => {
  it('is the same key for one schema, every time (every instance must contend for the same lock)', () => {
    expect(migrationLockKey('public')).toBe(migrationLockKey('public'));
  });

  it('differs between schemas, so their migrations do not wait on one another', () => {
    expect(migrationLockKey('public')).not.toBe(migrationLockKey('t_abc'));
  });

  it('is a signed 64-bit integer, what pg_advisory_lock(bigint) takes', () => {
    for (const schema of ['public', 't_abc', 'webhooks', '']) {
      const key = BigInt(migrationLockKey(schema));
      expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
    }
  });
});
