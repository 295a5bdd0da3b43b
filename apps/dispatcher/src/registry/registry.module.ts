// The in-memory webhook registry and what keeps it current. Relies on the global providers of
// InfrastructureModule (config, logger, clock, Kafka, DataSource).
import { Module } from '@nestjs/common';
import { WebhookChangePublisher } from './webhook-changes.publisher';
import { WebhookChangesListener } from './webhook-changes.listener';
import { WebhookRegistry } from './webhook.registry';
import { WebhookRepository } from './webhook.repository';

@Module({
  providers: [WebhookRegistry, WebhookRepository, WebhookChangePublisher, WebhookChangesListener],
  exports: [WebhookRegistry, WebhookRepository, WebhookChangePublisher],
})
export class RegistryModule {}
