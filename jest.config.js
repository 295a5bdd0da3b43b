// Two projects: `unit` (pure code, specs beside it, no I/O) and `integration` (real Kafka, real
// Postgres, real HTTP receivers on 127.0.0.1; run serially-ish with a generous timeout).
const moduleNameMapper = {
  '^@vowchat/events$': '<rootDir>/libs/events/src',
  '^@vowchat/platform$': '<rootDir>/libs/platform/src',
};
const transform = { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] };

module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/scripts/**/*.spec.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      slowTestThreshold: 30,
    },
  ],
};
