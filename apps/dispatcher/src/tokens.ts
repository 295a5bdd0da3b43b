// Injection tokens for the dispatcher's adapters: a service asks for exactly what it uses.
export const DISPATCHER_CONFIG = Symbol('DISPATCHER_CONFIG');
export const KAFKA = Symbol('KAFKA');
export const LOGGER = Symbol('LOGGER');
export const CLOCK = Symbol('CLOCK');
/** The SecretBox sealing webhook signing secrets at rest (secrets/secret-box.ts). */
export const SECRET_BOX = Symbol('SECRET_BOX');

/** The clock, injected so retry and breaker timing is testable. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
