// What the dispatcher's one-off operator commands (projection:rebuild, secrets:reencrypt) share: the
// dispatcher's configuration from the environment, a logger, a migrated DataSource, exit 0 or 1
// with a one-line reason, and tidying away their one-off consumer groups.
import type { Kafka } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { ConfigError, JsonLogger, type Env } from '@vowchat/platform';
import { loadDispatcherConfig, type DispatcherConfig } from '../config';
import { createDataSource, migrate } from '../database/data-source';

export interface OperatorCommandContext {
  config: DispatcherConfig;
  log: JsonLogger;
  dataSource: DataSource;
}

/**
 * Runs `body` as the command `name` and exits the process. `unused` supplies variables the
 * dispatcher's loader requires but the command does not use (the API token, …).
 */
export function runOperatorCommand(
  name: string,
  body: (context: OperatorCommandContext) => Promise<unknown>,
  unused: Env = {},
): void {
  run(name, body, unused).then(
    () => process.exit(0),
    (error: Error) => {
      process.stderr.write(`${name} failed: ${error.message}\n`);
      process.exit(1);
    },
  );
}

async function run(
  name: string,
  body: (context: OperatorCommandContext) => Promise<unknown>,
  unused: Env,
): Promise<void> {
  let config: DispatcherConfig;
  try {
    config = loadDispatcherConfig({ DISPATCHER_API_TOKEN: `(unused by ${name})`, ...unused, ...process.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(
      `${error.message}\nSet the variables above (see README, "Configuration") and run again.\n`,
    );
    process.exit(1);
  }
  const log = new JsonLogger(name, config.logLevel);
  const dataSource = createDataSource(config.database);
  await dataSource.initialize();
  try {
    await migrate(dataSource, config.database.schema);
    await body({ config, log, dataSource });
  } finally {
    await dataSource.destroy();
  }
}

/** Deletes a one-off consumer group so it does not linger in the broker's list; failing to is harmless. */
export async function deleteConsumerGroup(kafka: Kafka, groupId: string, log: JsonLogger): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch (error) {
    log.warnWith('could not delete a one-off consumer group', {
      group: groupId,
      error: (error as Error).message,
    });
  } finally {
    await admin.disconnect();
  }
}
