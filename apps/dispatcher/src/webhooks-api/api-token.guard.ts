// The platform's API-token guard, bound to the dispatcher's configured token so Nest can build it.
import { Inject, Injectable } from '@nestjs/common';
import { ApiTokenGuard } from '@vowchat/platform';
import type { DispatcherConfig } from '../config';
import { DISPATCHER_CONFIG } from '../tokens';

@Injectable()
export class DispatcherApiTokenGuard extends ApiTokenGuard {
  constructor(@Inject(DISPATCHER_CONFIG) config: DispatcherConfig) {
    super(config.apiToken);
  }
}
