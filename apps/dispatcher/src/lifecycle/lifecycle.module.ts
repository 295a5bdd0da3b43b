// The endpoint health lifecycle: its store, its part of the projection (handed to the outcome
// projector by DeliveryModule) and its monitor. Calls the webhook domain to disable automatically.
import {
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { JsonLogger } from '@vowchat/platform';
import { DataSource } from 'typeorm';
import type { DispatcherConfig } from '../config';
import { WebhookChangePublisher } from '../registry/webhook-changes.publisher';
import { RegistryModule } from '../registry/registry.module';
import { CLOCK, DISPATCHER_CONFIG, LOGGER, type Clock } from '../tokens';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { WebhooksService } from '../webhooks/webhooks.service';
import { LifecycleMonitor } from './lifecycle-monitor';
import { LifecycleProjection } from './lifecycle-projection';
import { LifecycleStore } from './lifecycle.store';

/** Starts the monitor with the app and stops it before the database closes. */
@Injectable()
export class LifecycleRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(LifecycleMonitor) private readonly monitor: LifecycleMonitor) {}

  onApplicationBootstrap(): void {
    this.monitor.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.monitor.stop();
  }
}

@Module({
  imports: [RegistryModule, WebhooksModule],
  providers: [
    {
      provide: LifecycleStore,
      useFactory: (config: DispatcherConfig) => new LifecycleStore(config.lifecycle),
      inject: [DISPATCHER_CONFIG],
    },
    {
      provide: LifecycleMonitor,
      useFactory: (
        config: DispatcherConfig,
        db: DataSource,
        store: LifecycleStore,
        webhooks: WebhooksService,
        publisher: WebhookChangePublisher,
        clock: Clock,
        logger: JsonLogger,
      ) =>
        new LifecycleMonitor({
          db,
          store,
          disable: (webhookId, reason) => webhooks.setEnabled(webhookId, false, reason),
          publish: (records) => publisher.publishState(...records),
          clock,
          log: logger.child({ component: 'lifecycle' }),
          intervalMs: config.lifecycle.checkIntervalMs,
        }),
      inject: [
        DISPATCHER_CONFIG,
        DataSource,
        LifecycleStore,
        WebhooksService,
        WebhookChangePublisher,
        CLOCK,
        LOGGER,
      ],
    },
    {
      provide: LifecycleProjection,
      useFactory: (store: LifecycleStore, monitor: LifecycleMonitor) =>
        new LifecycleProjection(store, () => monitor.kick()),
      inject: [LifecycleStore, LifecycleMonitor],
    },
    LifecycleRuntime,
  ],
  exports: [LifecycleStore, LifecycleProjection],
})
export class LifecycleModule {}
