// Entry point: validate configuration, build the app, listen on PORT.
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { ConfigError, JsonLogger } from '@vowchat/platform';
import { createProducerApp } from './app';
import { loadProducerConfig, type ProducerConfig } from './config';
import { isKafkaFailure, kafkaUnreachableMessage } from './publishing/kafka-failure';

async function main(): Promise<void> {
  let config: ProducerConfig;
  try {
    config = loadProducerConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const logger = new JsonLogger('producer', config.logLevel);
  try {
    const app = await createProducerApp(config, logger);
    await app.listen(config.port);
    const { port } = app.getHttpServer().address() as AddressInfo;
    logger.info('producer listening', { port });
  } catch (error) {
    if (!isKafkaFailure(error)) throw error;
    logger.errorWith(kafkaUnreachableMessage(config.kafka.brokers, error));
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `producer failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
