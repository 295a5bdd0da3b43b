// Builds the dispatcher: the HTTP side (webhook management, delivery log, health) and the event
// consumer, a custom Nest transport strategy taken from the container.
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { JsonLogger } from '@vowchat/platform';
import { DispatcherModule } from './app.module';
import type { DispatcherConfig } from './config';
import { EventStreamServer } from './consumer/event-stream.server';
import { useDispatcherErrors } from './http-setup';

/** Creates, initialises and starts consuming; the caller decides whether and where to listen. */
export async function createDispatcherApp(
  config: DispatcherConfig,
  logger: JsonLogger,
): Promise<INestApplication> {
  const app = await NestFactory.create(DispatcherModule.forRoot(config, logger), {
    logger,
    abortOnError: false,
  });
  useDispatcherErrors(app, logger);
  app.enableShutdownHooks();
  app.connectMicroservice({ strategy: app.get(EventStreamServer) }, { inheritAppConfig: true });
  await app.init();
  await app.startAllMicroservices();
  return app;
}
