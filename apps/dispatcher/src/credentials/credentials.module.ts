// Issued API tokens: the operator's API, the table and the topic, and (global, so every
// controller's ApiTokenGuard finds it) the resolver the guard checks issued tokens against.
import { Global, Module } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { CREDENTIALS, CredentialsFollower, followCredentials, type JsonLogger } from '@vowchat/platform';
import type { DispatcherConfig } from '../config';
import { DISPATCHER_CONFIG, KAFKA, LOGGER } from '../tokens';
import { ApiTokensRepository } from './api-tokens.repository';
import { CredentialChangesPublisher } from './credential-changes.publisher';
import { CredentialsService } from './credentials.service';
import { OperatorTokensController } from './operator-tokens.controller';
import { TokenUsage } from './token-usage';

@Global()
@Module({
  controllers: [OperatorTokensController],
  providers: [
    ApiTokensRepository,
    CredentialChangesPublisher,
    CredentialsService,
    TokenUsage,
    {
      provide: CredentialsFollower,
      useFactory: (config: DispatcherConfig, kafka: Kafka, logger: JsonLogger) =>
        followCredentials(kafka, logger, {
          topic: config.topics.credentials,
          groupPrefix: config.kafka.groupId,
          replicationFactor: config.kafka.replicationFactor,
        }),
      inject: [DISPATCHER_CONFIG, KAFKA, LOGGER],
    },
    {
      provide: CREDENTIALS,
      useFactory: (follower: CredentialsFollower, usage: TokenUsage) => usage.recording(follower),
      inject: [CredentialsFollower, TokenUsage],
    },
  ],
  exports: [CREDENTIALS],
})
export class CredentialsModule {}
