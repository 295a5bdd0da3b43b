// The health API: endpoint, account and operator health from the rollups, the retry store and Kafka
// offsets. Relies on InfrastructureModule's global providers (config, clock, Kafka, DataSource); reads
// the consumer's own lag through DeliveryRuntime when the app runs one, and works without it.
import { Module } from '@nestjs/common';
import { EndpointHealthController } from './endpoint-health.controller';
import { HealthQueryRepository } from './health-query.repository';
import { HealthQueryService } from './health-query.service';
import { KafkaOffsetsReader } from './kafka-offsets.reader';
import { LifecycleReader } from '../lifecycle/lifecycle.reader';

@Module({
  controllers: [EndpointHealthController],
  providers: [HealthQueryRepository, HealthQueryService, KafkaOffsetsReader, LifecycleReader],
})
export class HealthApiModule {}
