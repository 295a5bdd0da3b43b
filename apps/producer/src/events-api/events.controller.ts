// HTTP ingestion: checks each request (ingest-request.ts), publishes the events, answers where they
// landed. 202: the events are durably in Kafka; delivery to webhooks happens later.
import { Body, Controller, Headers, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { EventTooLargeError, type PublishedEvent, type VowChatEvent } from '@vowchat/events';
import { Access, ApiTokenGuard, type JsonLogger } from '@vowchat/platform';
import type { ProducerConfig } from '../config';
import { ApiError } from '../http/api-error';
import { ProducerMetrics } from '../metrics/producer-metrics';
import { eventTooLargeResponse } from '../publishing/event-too-large';
import { AccountRateLimits } from '../rate-limit/account-rate-limits';
import { rateLimitedResponse } from '../rate-limit/rate-limited';
import { EVENT_PUBLISHER, LOGGER, PRODUCER_CONFIG, type EventSink } from '../tokens';
import { IDEMPOTENCY_KEY_HEADER, identifyEvents } from './event-identity';
import { parseBatchRequest, parseEventRequest, type RawBody } from './ingest-request';

/** Where one event landed; `offset` is a string because Kafka offsets are 64-bit. */
export interface PublishedEventView {
  event_id: string;
  topic: string;
  partition: number;
  offset: string;
}

@Controller('api/v1/accounts/:account_id/events')
@UseGuards(ApiTokenGuard)
@Access('publish')
export class EventsController {
  /** Each account's publish rate on this instance; null when PUBLISH_RATE_LIMIT_PER_ACCOUNT is 0. */
  private readonly rateLimits: AccountRateLimits | null;

  constructor(
    @Inject(EVENT_PUBLISHER) private readonly sink: EventSink,
    @Inject(PRODUCER_CONFIG) private readonly config: ProducerConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(ProducerMetrics) private readonly metrics: Pick<ProducerMetrics, 'timePublish'>,
  ) {
    this.rateLimits = config.publishRateLimit ? new AccountRateLimits(config.publishRateLimit) : null;
  }

  @Post()
  @HttpCode(202)
  async publishOne(
    @Param('account_id') accountId: string,
    @Body() body: RawBody,
    @Headers(IDEMPOTENCY_KEY_HEADER) idempotencyKey?: string,
  ): Promise<PublishedEventView> {
    const parsed = parseEventRequest(accountId, body, this.config.maxEventDepth);
    if (!parsed.ok) throw new ApiError(parsed.error);
    const [published] = await this.publish([parsed.value], false, idempotencyKey);
    return published;
  }

  @Post('batch')
  @HttpCode(202)
  async publishBatch(
    @Param('account_id') accountId: string,
    @Body() body: RawBody,
    @Headers(IDEMPOTENCY_KEY_HEADER) idempotencyKey?: string,
  ): Promise<{ events: PublishedEventView[] }> {
    const parsed = parseBatchRequest(accountId, body, this.config.maxBatchEvents, this.config.maxEventDepth);
    if (!parsed.ok) throw new ApiError(parsed.error);
    return { events: await this.publish(parsed.value, true, idempotencyKey) };
  }

  private async publish(
    parsed: VowChatEvent[],
    batch: boolean,
    idempotencyKey: string | undefined,
  ): Promise<PublishedEventView[]> {
    // The client's event ids (event_id, Idempotency-Key), so a retried request keeps its webhook-id.
    const identified = identifyEvents(parsed[0].account.id, parsed, idempotencyKey, batch);
    if (!identified.ok) throw new ApiError(identified.error);
    const { events, eventIds } = identified.value;
    // Valid requests only are counted, one token per event; a refused one publishes nothing.
    const accountId = events[0].account.id;
    const waitMs = this.rateLimits?.take(accountId, events.length, Date.now()) ?? 0;
    if (waitMs > 0) throw new ApiError(rateLimitedResponse(accountId, waitMs, this.config.publishRateLimit!));
    let published: PublishedEvent[];
    try {
      published = await this.metrics.timePublish(events, () => this.sink.publishMany(events, { eventIds }));
    } catch (error) {
      // Refused before anything was sent: the event cannot fit on its topic, now or later.
      if (error instanceof EventTooLargeError) throw new ApiError(eventTooLargeResponse(error, batch));
      throw error;
    }
    this.logger.debug('events published', { account_id: events[0].account.id, count: events.length });
    return published.map(toView);
  }
}

function toView(p: PublishedEvent): PublishedEventView {
  return { event_id: p.eventId, topic: p.topic, partition: p.partition, offset: p.offset };
}
