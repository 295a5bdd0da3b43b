import { ConfigError, EnvReader } from './env';
import { envBool, envInt, envIntList, envLevel, envList, envParsed, envString } from './env-schema';

describe('environment schemas', () => {
  it('read a set value, and the default when the variable is absent or empty', () => {
    expect(envInt('N', 5, { min: 1, max: 9 }).parse('7')).toBe(7);
    expect(envInt('N', 5).parse(undefined)).toBe(5);
    expect(envInt('N', 5).parse('')).toBe(5);
    expect(envBool('B', false).parse('YES')).toBe(true);
    expect(envBool('B', true).parse('0')).toBe(false);
    expect(envList('L', ['a']).parse(' x , ,y ')).toEqual(['x', 'y']);
    expect(envLevel('LOG_LEVEL', 'info').parse('debug')).toBe('debug');
    expect(envString('S', 'd').parse(undefined)).toBe('d');
    expect(envIntList('R', [1, 2]).parse('3,4')).toEqual([3, 4]);
  });

  it.each([
    [
      envInt('PORT', 1, { min: 0, max: 65535 }),
      '70000',
      'PORT must be an integer from 0 to 65535, got "70000"',
    ],
    [envInt('PORT', 1), '1.5', 'PORT must be an integer from 0 to 9007199254740991, got "1.5"'],
    [envBool('FLAG', false), 'maybe', 'FLAG must be true or false, got "maybe"'],
    [envList('BROKERS', ['x']), ' , ', 'BROKERS must be a comma-separated list, got " , "'],
    [envLevel('LOG_LEVEL', 'info'), 'loud', 'LOG_LEVEL must be debug, info, warn or error, got "loud"'],
    [envString('TOKEN'), undefined, 'TOKEN is required'],
    [envIntList('R', [1]), '5,-1', 'R must be comma-separated integers of at least 0, got "5,-1"'],
  ])('refuses a bad value naming the variable (%#)', (schema, raw, message) => {
    const parsed = schema.safeParse(raw);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.message)).toEqual([message]);
  });

  it('passes on the problems of a variable parsed by its own function', () => {
    const keys = envParsed((raw) => ({
      value: raw ?? '',
      problems: raw === 'bad' ? ['K holds a bad key', 'K again'] : [],
    }));
    expect(keys.parse('good')).toBe('good');
    expect(keys.safeParse('bad').error?.issues.map((i) => i.message)).toEqual([
      'K holds a bad key',
      'K again',
    ]);
  });
});

describe('EnvReader', () => {
  it('reads every variable through its schema and reports every problem at once', () => {
    const r = new EnvReader({ PORT: 'x', FLAG: 'maybe', NAME: 'ok' });
    expect(r.int('PORT', 3000)).toBe(3000); // the default while the problem is reported
    expect(r.bool('FLAG', true)).toBe(true);
    expect(r.string('NAME')).toBe('ok');
    expect(r.string('TOKEN')).toBe('');
    expect(() => r.done()).toThrow(ConfigError);
    try {
      r.done();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'PORT must be an integer from 0 to 9007199254740991, got "x"',
        'FLAG must be true or false, got "maybe"',
        'TOKEN is required',
      ]);
    }
  });
});
