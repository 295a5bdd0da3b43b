// Injection tokens for the producer's adapters: a handler asks for exactly what it uses.
import type { EventPublisher } from '@vowchat/events';

export const PRODUCER_CONFIG = Symbol('PRODUCER_CONFIG');
export const LOGGER = Symbol('LOGGER');
export const EVENT_PUBLISHER = Symbol('EVENT_PUBLISHER');

/** What the HTTP handlers need from the publisher: validated events in, where they landed out. */
export type EventSink = Pick<EventPublisher, 'publishMany'>;
