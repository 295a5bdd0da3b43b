// The webhook domain: its operations, for the HTTP API, delivery (410 Gone) and the endpoint
// lifecycle (automatic disable) alike. Domain first, HTTP on top.
import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { WebhooksService } from './webhooks.service';

@Module({
  imports: [RegistryModule],
  providers: [WebhooksService],
  exports: [WebhooksService],
})
export class WebhooksModule {}
