// Two projects: `unit` (pure code, specs beside it, no I/O) and `integration` (real Kafka, real
// Postgres, real HTTP receivers on 127.0.0.1; each test isolates itself with its own topics,
// consumer groups and schema, so files run in parallel).
const moduleNameMapper = {
  '^@vowchat/events$': '<rootDir>/libs/events/src',
  '^@vowchat/platform$': '<rootDir>/libs/platform/src',
};
// Type checking is `npm run typecheck`'s job; tests only transpile (tsconfig.test.json), which is fast.
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  // ES-module-only dependencies, turned into CommonJS for jest (see the transformer).
  'node_modules/@nestjs/terminus/.+\\.js$': '<rootDir>/test/support/esm-package.transform.js',
};
const transformIgnorePatterns = ['/node_modules/(?!@nestjs/terminus/)'];

module.exports = {
  // Integration tests wait on real brokers, consumer-group joins and retry schedules.
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      testMatch: [
        '<rootDir>/apps/**/*.spec.ts',
        '<rootDir>/libs/**/*.spec.ts',
        '<rootDir>/scripts/**/*.spec.ts',
        '<rootDir>/bench/**/*.spec.ts',
      ],
    },
    {
      displayName: 'integration',
      // Apps' logs go to .run/test-logs/<file>.log and are shown when a test fails.
      testEnvironment: '<rootDir>/test/support/log-capture.environment.js',
      setupFilesAfterEnv: ['<rootDir>/test/support/log-capture.setup.ts'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      slowTestThreshold: 30,
    },
  ],
};
