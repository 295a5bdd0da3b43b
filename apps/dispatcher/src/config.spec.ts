import { ConfigError } from '@vowchat/platform';
import { DEFAULT_RETRY_SCHEDULE_MS, loadDispatcherConfig } from './config';

const KEY = `k1:${Buffer.alloc(32, 7).toString('base64')}`;

describe('loadDispatcherConfig', () => {
  it('applies the defaults when only the token and a key are set', () => {
    const config = loadDispatcherConfig({ DISPATCHER_API_TOKEN: 't', SECRET_ENCRYPTION_KEYS: KEY });
    expect(config).toMatchObject({
      port: 3001,
      apiToken: 't',
      logLevel: 'info',
      kafka: {
        brokers: ['127.0.0.1:9092'],
        topicPartitions: 6,
        replicationFactor: 1,
        sessionTimeoutMs: 10_000,
      },
      allowInsecureUrls: false,
      delivery: {
        timeoutMs: 5_000,
        retryScheduleMs: DEFAULT_RETRY_SCHEDULE_MS,
        bufferBytesCap: 64 * 1024 * 1024,
        stallThresholdMs: 120_000,
        endpointRateLimitPerSecond: 50,
      },
      metricsEnabled: true,
      healthRollupsEnabled: true,
      healthRetention: { rawDays: 7, minuteDays: 7, hourDays: 35 },
      lifecycle: { failingAfterAttempts: 4 },
    });
    expect(config.secretKeys.map((k) => k.id)).toEqual(['k1']);
  });

  it('reads set variables', () => {
    const config = loadDispatcherConfig({
      DISPATCHER_API_TOKEN: 't',
      SECRET_ENCRYPTION_KEYS: KEY,
      PORT: '4001',
      RETRY_SCHEDULE_MS: '100, 200',
      METRICS_ENABLED: 'false',
      KAFKA_BROKERS: 'a:1,b:2',
    });
    expect(config).toMatchObject({
      port: 4001,
      delivery: { retryScheduleMs: [100, 200] },
      metricsEnabled: false,
      kafka: { brokers: ['a:1', 'b:2'] },
    });
  });

  it('refuses a bad boot with one error naming every bad variable', () => {
    let problems: string[] = [];
    try {
      loadDispatcherConfig({
        PORT: '99999',
        RETRY_SCHEDULE_MS: '5,x',
        HEALTH_ROLLUPS_ENABLED: 'perhaps',
        DATABASE_SCHEMA: 'Not-An-Identifier',
        ENDPOINT_DISABLE_AFTER_MS: '5000',
        ENDPOINT_DISABLE_WARNING_MS: '6000',
      });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        'RETRY_SCHEDULE_MS must be comma-separated integers of at least 0, got "5,x"',
        expect.stringMatching(/^SECRET_ENCRYPTION_KEYS is required/),
        'PORT must be an integer from 0 to 65535, got "99999"',
        'DISPATCHER_API_TOKEN is required',
        'HEALTH_ROLLUPS_ENABLED must be true or false, got "perhaps"',
        'ENDPOINT_DISABLE_WARNING_MS must be less than ENDPOINT_DISABLE_AFTER_MS',
        'DATABASE_SCHEMA must be a lower-case SQL identifier',
      ]),
    );
    expect(problems).toHaveLength(7);
  });
});
