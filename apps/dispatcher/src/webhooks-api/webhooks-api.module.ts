// Webhook management over HTTP. WebhooksService is exported for delivery, which disables a webhook
// whose endpoint answers 410 Gone.
import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

@Module({
  imports: [RegistryModule],
  controllers: [WebhooksController],
  providers: [WebhooksService],
  exports: [WebhooksService],
})
export class WebhooksApiModule {}
