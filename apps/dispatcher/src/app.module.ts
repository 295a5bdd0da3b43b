import { Module, type DynamicModule } from '@nestjs/common';
import type { JsonLogger } from '@vowchat/platform';
import type { DispatcherConfig } from './config';
import { ApiContractModule } from './api-contract/api-contract.module';
import { CredentialsModule } from './credentials/credentials.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { DeliveryLogModule } from './delivery-log/delivery-log.module';
import { DeliveryModule } from './delivery/delivery.module';
import { HealthApiModule } from './health/health-api.module';
import { HealthChecksModule } from './health/health-checks.module';
import { HealthRetentionModule } from './health/health-retention.module';
import { InfrastructureModule } from './infrastructure.module';
import { MetricsModule } from './metrics/metrics.module';
import { OperationsModule } from './operations/operations.module';
import { RegistryModule } from './registry/registry.module';
import { SecretsModule } from './secrets/secrets.module';
import { WebhooksApiModule } from './webhooks-api/webhooks-api.module';

@Module({})
export class DispatcherModule {
  static forRoot(config: DispatcherConfig, logger: JsonLogger): DynamicModule {
    return {
      module: DispatcherModule,
      imports: [
        InfrastructureModule.forRoot(config, logger),
        ApiContractModule,
        CredentialsModule,
        RegistryModule,
        SecretsModule,
        WebhooksApiModule,
        DeliveryModule,
        DeliveryLogModule,
        HealthRetentionModule,
        HealthApiModule,
        MetricsModule,
        HealthChecksModule,
        OperationsModule,
        DashboardModule,
      ],
    };
  }
}
