// The dispatcher's adapters, provided once for every module: configuration, logger, clock, the
// Kafka client and the Postgres DataSource (migrated before anything uses it).
import { Global, Module, type DynamicModule, type OnApplicationShutdown, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { createKafka, JsonLogger } from '@vowchat/platform';
import type { DispatcherConfig } from './config';
import { createDataSource, migrate } from './database/data-source';
import { CLOCK, DISPATCHER_CONFIG, KAFKA, LOGGER, systemClock } from './tokens';

@Global()
@Module({})
export class InfrastructureModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  static forRoot(config: DispatcherConfig, logger: JsonLogger): DynamicModule {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: DISPATCHER_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: CLOCK, useValue: systemClock },
        { provide: KAFKA, useValue: createKafka(config.kafka.clientId, config.kafka.brokers, logger) },
        {
          provide: DataSource,
          useFactory: async () => {
            const dataSource = createDataSource(config.database);
            await dataSource.initialize();
            const applied = await migrate(dataSource, config.database.schema);
            if (applied.length > 0)
              logger.info('migrations applied', { migrations: applied, schema: config.database.schema });
            return dataSource;
          },
        },
      ],
      exports: [DISPATCHER_CONFIG, LOGGER, CLOCK, KAFKA, DataSource],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
