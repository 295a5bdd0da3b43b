// Builds the producer application, configured but not yet listening (main.ts and tests listen).
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { JsonLogger } from '@vowchat/platform';
import type { ProducerConfig } from './config';
import { useProducerErrors } from './http/http-setup';
import { countRefusals } from './metrics/count-refusals.middleware';
import { ProducerMetrics } from './metrics/producer-metrics';
import { ProducerModule } from './producer.module';

/** Creates the app, ensures the event topics exist and connects the publisher; throws if Kafka is down. */
export async function createProducerApp(
  config: ProducerConfig,
  logger: JsonLogger,
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(ProducerModule.forRoot(config, logger), {
    logger,
    // The body stays raw bytes: ingest-request.ts parses the JSON itself, so a syntax error is
    // answered as invalid_json with the parser's reason, whatever Content-Type the client sent.
    bodyParser: false,
    abortOnError: false,
  });
  app.disable('x-powered-by');
  // Before the body parser, so a refusal decided there (413) is counted too.
  app.use(countRefusals(app.get(ProducerMetrics)));
  app.useBodyParser('raw', { type: () => true, limit: config.maxBodyBytes });
  useProducerErrors(app, config, logger);
  app.enableShutdownHooks();
  return app;
}
