// A dispatcher app for integration tests: InfrastructureModule with its real Kafka and Postgres, the
// registry and the webhooks API (plus any modules a test adds), listening on 127.0.0.1:0, with small
// factories (`ctx.newWebhook()`) and a JSON client for its API.
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { allTopics, type EventType } from '@vowchat/events';
import { JsonLogger, type Env } from '@vowchat/platform';
import { loadDispatcherConfig, type DispatcherConfig } from '../../apps/dispatcher/src/config';
import { useDispatcherErrors } from '../../apps/dispatcher/src/http-setup';
import { InfrastructureModule } from '../../apps/dispatcher/src/infrastructure.module';
import { RegistryModule } from '../../apps/dispatcher/src/registry/registry.module';
import { WebhookRegistry } from '../../apps/dispatcher/src/registry/webhook.registry';
import { WebhooksApiModule } from '../../apps/dispatcher/src/webhooks-api/webhooks-api.module';
import { WebhooksService } from '../../apps/dispatcher/src/webhooks/webhooks.service';
import type { WebhookView, WebhookWithSecretView } from '../../apps/dispatcher/src/webhooks-api/webhook.view';
import { uniqueName } from './names';
import { expectKeepsContract, readAnswer } from './openapi-check';
import { API_TOKEN, dispatcherEnv, dropSchemaAndTopics, newSystemNames } from './system';

export const TEST_API_TOKEN = API_TOKEN;

/**
 * Environment for one test file's dispatcher(s): its own schema, topics and group, the test token,
 * insecure URLs allowed (receivers are on 127.0.0.1). Instances started from the same env share them.
 */
export function dispatcherTestEnv(overrides: Env = {}): Env {
  return dispatcherEnv(newSystemNames(), overrides as Record<string, string>);
}

/** Drops the env's schema and deletes its topics. */
export async function cleanUpDispatcherEnv(env: Env): Promise<void> {
  const config = loadDispatcherConfig(env);
  await dropSchemaAndTopics(config.database.schema, allTopics(config.topics));
}

/**
 * What the webhooks API answers, typed loosely for tests: `payload` on success, the error fields
 * otherwise. Read the fields the status implies.
 */
export interface ApiBody {
  payload: { webhook: WebhookWithSecretView; webhooks: WebhookView[] };
  error: string;
  message: string;
  problems: { field: string; message: string }[];
}

export interface ApiResponse<T = ApiBody> {
  status: number;
  body: T;
  text: string;
}

export interface ApiRequest {
  body?: unknown;
  /** Sent as-is instead of `body` (for non-JSON tests). */
  rawBody?: string;
  contentType?: string;
  /** Defaults to the test token; null sends none. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface NewWebhook {
  accountId?: number;
  url?: string;
  subscriptions?: EventType[];
  name?: string;
}

export class DispatcherContext {
  private constructor(
    readonly app: INestApplication,
    readonly env: Env,
    readonly config: DispatcherConfig,
    readonly baseUrl: string,
  ) {}

  /** Boots a dispatcher on `env` with the registry and webhooks API, plus `imports`. */
  static async start(env: Env, { imports = [] }: { imports?: ModuleMetadata['imports'] } = {}) {
    const config = loadDispatcherConfig(env);
    const logger = new JsonLogger('dispatcher', config.logLevel, { instance: uniqueName('i') });
    const moduleRef = await Test.createTestingModule({
      imports: [InfrastructureModule.forRoot(config, logger), RegistryModule, WebhooksApiModule, ...imports],
    })
      .setLogger(logger)
      .compile();
    const app = moduleRef.createNestApplication({ logger });
    useDispatcherErrors(app, logger); // as app.ts does
    await app.listen(0, '127.0.0.1');
    const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    return new DispatcherContext(app, env, config, baseUrl);
  }

  get registry(): WebhookRegistry {
    return this.app.get(WebhookRegistry);
  }

  get webhooks(): WebhooksService {
    return this.app.get(WebhooksService);
  }

  /** Calls the dispatcher's HTTP API and parses the JSON answer (body is undefined when there is none). */
  async api<T = ApiBody>(method: string, path: string, request: ApiRequest = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...request.headers };
    const token = request.token === undefined ? TEST_API_TOKEN : request.token;
    if (token !== null) headers['api_access_token'] = token;
    let body: string | undefined;
    if (request.rawBody !== undefined) body = request.rawBody;
    else if (request.body !== undefined) body = JSON.stringify(request.body);
    if (body !== undefined) headers['content-type'] = request.contentType ?? 'application/json';
    const response = await fetch(this.baseUrl + path, { method, headers, body });
    const answer = await readAnswer(response);
    // Every answer is checked against the dispatcher's OpenAPI document.
    expectKeepsContract('dispatcher', { method, path, status: response.status, ...answer });
    const { text } = answer;
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed as T, text };
  }

  /** Creates a webhook through the API (defaults: account 1, message_created, an unused loopback URL); returns it with its secret. */
  async newWebhook(options: NewWebhook = {}): Promise<WebhookWithSecretView> {
    const accountId = options.accountId ?? 1;
    const body: Record<string, unknown> = {
      url: options.url ?? `http://127.0.0.1:9/${uniqueName('hook')}`,
      subscriptions: options.subscriptions ?? ['message_created'],
      ...(options.name !== undefined ? { name: options.name } : {}),
    };
    const response = await this.api('POST', `/api/v1/accounts/${accountId}/webhooks`, { body });
    if (response.status !== 200) {
      throw new Error(`creating a webhook answered ${response.status}: ${response.text}`);
    }
    return response.body.payload.webhook;
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
