// The size limit each topic puts on a record batch, read from the broker: what every producer of
// ours caps its batches below (record-size.ts), so nothing is ever refused for its size.
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { DEFAULT_MAX_MESSAGE_BYTES } from './record-size';

/**
 * `max.message.bytes` of each of `topics`; a topic whose setting cannot be read (an older broker,
 * missing rights, a topic not yet created) gets the broker's default.
 */
export async function readMaxMessageBytes(
  admin: Admin,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const limits = new Map<string, number>(topics.map((topic) => [topic, DEFAULT_MAX_MESSAGE_BYTES]));
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['max.message.bytes'],
      })),
    });
    for (const resource of resources) {
      const entry = resource.configEntries.find((e) => e.configName === 'max.message.bytes');
      const value = Number(entry?.configValue);
      if (resource.errorCode === 0 && Number.isSafeInteger(value) && value > 0)
        limits.set(resource.resourceName, value);
    }
  } catch {
    // Keep the defaults: they protect a broker left at its default.
  }
  return limits;
}
