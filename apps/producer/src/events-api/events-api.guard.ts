// The platform's API-token guard, bound to the producer's configured token so Nest can build it.
import { Inject, Injectable } from '@nestjs/common';
import { ApiTokenGuard } from '@vowchat/platform';
import type { ProducerConfig } from '../config';
import { PRODUCER_CONFIG } from '../tokens';

@Injectable()
export class EventsApiGuard extends ApiTokenGuard {
  constructor(@Inject(PRODUCER_CONFIG) config: ProducerConfig) {
    super(config.apiToken);
  }
}
