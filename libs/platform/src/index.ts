// Runtime glue shared by both apps: configuration reading, structured logging, API-token auth,
// the Kafka client factory. (The event contract itself lives in libs/events.)
export * from './env';
export * from './logger';
export * from './api-token.guard';
export * from './credentials';
export * from './kafka-client';
export * from './topic-catch-up';
export * from './sampled-log';
export * from './health-answer';
export * from './token-bucket';
export * from './http';
export * from './env-schema';
