// Operational webhooks: the account's operations endpoint (API) and the sender that delivers what
// the endpoint lifecycle and exhausted deliveries put in `operational_deliveries`.
import {
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { JsonLogger } from '@vowchat/platform';
import type { DispatcherConfig } from '../config';
import { WebhookSender } from '../delivery/webhook-sender';
import { CLOCK, DISPATCHER_CONFIG, LOGGER, type Clock } from '../tokens';
import { OperationalSender } from './operational-sender';
import { OperationsWebhookController } from './operations-webhook.controller';
import { OperationsWebhookRepository } from './operations-webhook.repository';

/** Starts and stops the sender with the app. */
@Injectable()
export class OperationsRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(OperationalSender) private readonly sender: OperationalSender) {}

  onApplicationBootstrap(): void {
    this.sender.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.sender.stop();
  }
}

@Module({
  controllers: [OperationsWebhookController],
  providers: [
    OperationsWebhookRepository,
    {
      provide: OperationalSender,
      useFactory: (
        { delivery, allowInsecureUrls }: DispatcherConfig,
        repository: OperationsWebhookRepository,
        clock: Clock,
        logger: JsonLogger,
      ) =>
        new OperationalSender({
          repository,
          // Its own small pool: operational webhooks never wait behind deliveries.
          sender: new WebhookSender({
            timeoutMs: delivery.timeoutMs,
            responseBodyCap: 256,
            allowInsecure: allowInsecureUrls,
          }),
          clock,
          random: Math.random,
          log: logger.child({ component: 'operations' }),
          settings: {
            pollMs: delivery.retryPollMs,
            timeoutMs: delivery.timeoutMs,
            retryScheduleMs: delivery.retryScheduleMs,
            retryAfterCapMs: delivery.retryAfterCapMs,
          },
        }),
      inject: [DISPATCHER_CONFIG, OperationsWebhookRepository, CLOCK, LOGGER],
    },
    OperationsRuntime,
  ],
})
export class OperationsModule {}
