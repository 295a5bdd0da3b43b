// The dispatcher's adapters, provided once for every module: configuration, logger, clock, the
// Kafka client, the Postgres connection (connected and migrated at boot, or in the background when
// Postgres is away: database/database-connection.ts), its DataSource and the retry store on it.
import { Global, Module, type DynamicModule, type OnApplicationShutdown, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { API_TOKEN, createKafka, ensureTopics, JsonLogger } from '@vowchat/platform';
import { eventTopics } from '@vowchat/events';
import type { DispatcherConfig } from './config';
import { DatabaseConnection } from './database/database-connection';
import { createDataSource, migrate } from './database/data-source';
import { RetryStore } from './retry/retry-store';
import { SecretBox } from './secrets/secret-box';
import { CLOCK, DISPATCHER_CONFIG, KAFKA, LOGGER, SECRET_BOX, systemClock } from './tokens';

@Global()
@Module({})
export class InfrastructureModule implements OnApplicationShutdown {
  constructor(@Inject(DatabaseConnection) private readonly database: DatabaseConnection) {}

  static forRoot(config: DispatcherConfig, logger: JsonLogger): DynamicModule {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: DISPATCHER_CONFIG, useValue: config },
        { provide: API_TOKEN, useValue: config.apiToken },
        { provide: LOGGER, useValue: logger },
        { provide: CLOCK, useValue: systemClock },
        { provide: SECRET_BOX, useValue: new SecretBox(config.secretKeys) },
        {
          provide: KAFKA,
          // Every topic the dispatcher reads or writes exists before any module uses the client.
          useFactory: async () => {
            const kafka = createKafka(config.kafka.clientId, config.kafka.brokers, logger);
            await ensureTopics(kafka, dispatcherTopics(config), {
              replicationFactor: config.kafka.replicationFactor,
            });
            return kafka;
          },
        },
        {
          provide: DatabaseConnection,
          // Postgres away at boot does not stop the dispatcher: it connects in the background.
          useFactory: async () => {
            const connection = new DatabaseConnection(createDataSource(config.database), {
              migrate: (dataSource) => migrate(dataSource, config.database.schema),
              log: logger.child({ component: 'database', schema: config.database.schema }),
            });
            await connection.connectAtBoot();
            return connection;
          },
        },
        {
          provide: DataSource,
          useFactory: (connection: DatabaseConnection) => connection.dataSource,
          inject: [DatabaseConnection],
        },
        {
          provide: RetryStore,
          useFactory: (dataSource: DataSource) => new RetryStore(dataSource),
          inject: [DataSource],
        },
      ],
      exports: [
        DISPATCHER_CONFIG,
        API_TOKEN,
        LOGGER,
        CLOCK,
        SECRET_BOX,
        KAFKA,
        DatabaseConnection,
        DataSource,
        RetryStore,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}

function dispatcherTopics(config: DispatcherConfig) {
  const { topics, kafka } = config;
  const partitions = kafka.topicPartitions;
  return [
    ...eventTopics(topics).map((topic) => ({ topic, partitions })),
    { topic: topics.deadLetter, partitions },
    { topic: topics.deliveries, partitions },
    { topic: topics.webhooks, partitions, compacted: true },
  ];
}
