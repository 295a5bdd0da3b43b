// The producer's one module: configuration, logger, and an EventPublisher connected at boot to
// topics that are made to exist first (the broker does not auto-create them).
import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { EventPublisher, eventTopics } from '@vowchat/events';
import {
  API_TOKEN,
  createKafka,
  CREDENTIALS,
  ensureTopics,
  failFastKafkaSettings,
  followCredentials,
  type JsonLogger,
} from '@vowchat/platform';
import type { ProducerConfig } from './config';
import { EventsController } from './events-api/events.controller';
import { ObservabilityModule } from './metrics/observability.module';
import { EVENT_PUBLISHER, LOGGER, PRODUCER_CONFIG } from './tokens';
import { ApiContractModule } from './api-contract/api-contract.module';

@Module({})
export class ProducerModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_PUBLISHER) private readonly publisher: EventPublisher) {}

  static forRoot(config: ProducerConfig, logger: JsonLogger): DynamicModule {
    return {
      module: ProducerModule,
      imports: [ObservabilityModule.forRoot(config), ApiContractModule],
      controllers: [EventsController],
      providers: [
        { provide: PRODUCER_CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: API_TOKEN, useValue: config.apiToken },
        {
          // Issued account and service tokens, followed from the dispatcher's credentials topic (decision 0014).
          provide: CREDENTIALS,
          useFactory: () =>
            followCredentials(createKafka(config.kafka.clientId, config.kafka.brokers, logger), logger, {
              topic: config.credentialsTopic,
              groupPrefix: config.kafka.clientId,
              replicationFactor: config.kafka.replicationFactor,
            }),
        },
        {
          provide: EVENT_PUBLISHER,
          useFactory: async () => {
            // Fail fast, recover at once: every request is answered within publishing.timeoutMs.
            const kafka = createKafka(
              config.kafka.clientId,
              config.kafka.brokers,
              logger,
              failFastKafkaSettings(config.publishing.timeoutMs),
            );
            await ensureTopics(
              kafka,
              eventTopics(config.topics).map((topic) => ({
                topic,
                partitions: config.kafka.topicPartitions,
              })),
              { replicationFactor: config.kafka.replicationFactor },
            );
            const publisher = new EventPublisher(kafka, config.topics, {
              maxMessageBytes: config.maxEventBytes ?? undefined,
              maxEventDepth: config.maxEventDepth,
              timeoutMs: config.publishing.timeoutMs,
              lingerMs: config.publishing.lingerMs,
              maxQueuedBytes: config.publishing.maxQueuedBytes,
              maxQueuedPublishes: config.publishing.maxQueuedRequests,
              onProducerReplaced: (reason) => logger.warnWith('kafka producer replaced', { reason }),
            });
            await publisher.connect();
            logger.info('event size limits', { max_message_bytes: publisher.maxMessageBytes() });
            return publisher;
          },
        },
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.disconnect();
  }
}
