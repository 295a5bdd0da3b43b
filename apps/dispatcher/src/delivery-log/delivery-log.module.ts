// The delivery log API. Relies on the global providers of InfrastructureModule (config, logger,
// clock, DataSource) and on a RetryStore resolvable under its class token.
import { Module } from '@nestjs/common';
import { DeliveriesController } from './deliveries.controller';
import { DeliveryLogRepository } from './delivery-log.repository';
import { DeliveryLogService } from './delivery-log.service';

@Module({
  controllers: [DeliveriesController],
  providers: [DeliveryLogRepository, DeliveryLogService],
})
export class DeliveryLogModule {}
