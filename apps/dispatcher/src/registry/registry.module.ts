// The in-memory webhook registry and what keeps it current: the listener following the webhooks
// topic, the publisher, and the outbox and its relay that make every committed change reach that
// topic. Relies on the global providers of InfrastructureModule (config, logger, clock, Kafka, DataSource).
import { Module } from '@nestjs/common';
import { WebhookChangePublisher } from './webhook-changes.publisher';
import { WebhookChangesListener } from './webhook-changes.listener';
import { WebhookOutboxRelay } from './webhook-outbox.relay';
import { WebhookOutboxRepository } from './webhook-outbox.repository';
import { WebhookRegistry } from './webhook.registry';
import { WebhookRepository } from './webhook.repository';

@Module({
  providers: [
    WebhookRegistry,
    WebhookRepository,
    WebhookChangePublisher,
    WebhookChangesListener,
    WebhookOutboxRepository,
    WebhookOutboxRelay,
  ],
  exports: [WebhookRegistry, WebhookRepository, WebhookChangePublisher, WebhookOutboxRepository],
})
export class RegistryModule {}
