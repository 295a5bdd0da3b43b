// The contract between event producers and the dispatcher. Pure: no Nest, no ORM; the only I/O is
// the publisher, through a kafkajs client its caller owns.
export * from './event-types';
export * from './payloads';
export * from './topics';
export * from './event-id';
export * from './validation';
export * from './record';
export * from './json-depth';
export * from './record-size';
export * from './produce-error';
export * from './produce-queue';
export * from './publisher';
export * from './signature';
export * from './delivery-records';
export * from './examples';
export * from './topic-limits';
export * from './operational-events';
export * from './schema';
export * from './event-schema';
