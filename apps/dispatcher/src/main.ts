import 'reflect-metadata';
import { ConfigError, JsonLogger } from '@vowchat/platform';
import { createDispatcherApp } from './app';
import { loadDispatcherConfig } from './config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadDispatcherConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(
        `${error.message}\nSet the variables above (see README, "Configuration") and start again.\n`,
      );
      process.exit(1);
    }
    throw error;
  }
  const logger = new JsonLogger('dispatcher', config.logLevel);
  const app = await createDispatcherApp(config, logger);
  await app.listen(config.port, '0.0.0.0');
  logger.info('dispatcher listening', {
    port: config.port,
    group: config.kafka.groupId,
    insecure_urls: config.allowInsecureUrls,
  });
}

main().catch((error: Error) => {
  process.stderr.write(
    JSON.stringify({
      level: 'error',
      service: 'dispatcher',
      msg: 'failed to start',
      error: error.message,
      stack: error.stack,
    }) + '\n',
  );
  process.exit(1);
});
