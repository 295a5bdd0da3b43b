// HTTP edge of webhook management, shaped like Chatwoot's account webhooks API: the same paths,
// fields and `payload` envelope, so scripts written for Chatwoot work here.
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Req,
  UseGuards,
} from '@nestjs/common';
import { Access, ApiTokenGuard } from '@vowchat/platform';
import type { Request } from 'express';
import type { DispatcherConfig } from '../config';
import { DISPATCHER_CONFIG } from '../tokens';
import { badRequest, unprocessable, WebhookNotFoundError } from './webhook.errors';
import {
  isJsonObject,
  isWebhookId,
  parseAccountId,
  parseCreateWebhook,
  parseUpdateWebhook,
} from './webhook-input';
import {
  webhookView,
  webhookWithSecretView,
  type WebhookView,
  type WebhookWithSecretView,
} from './webhook.view';
import { WebhooksService } from '../webhooks/webhooks.service';

@Controller('api/v1/accounts/:account_id/webhooks')
@UseGuards(ApiTokenGuard)
@Access('account')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
  ) {}

  @Get()
  async list(@Param('account_id') account: string): Promise<{ payload: { webhooks: WebhookView[] } }> {
    const webhooks = await this.webhooks.list(accountIdOf(account));
    return { payload: { webhooks: webhooks.map(webhookView) } };
  }

  @Post()
  @HttpCode(200)
  async create(
    @Param('account_id') account: string,
    @Req() request: Request,
    @Body() body: unknown,
  ): Promise<{ payload: { webhook: WebhookWithSecretView } }> {
    const accountId = accountIdOf(account);
    const parsed = parseCreateWebhook(jsonBody(request, body), {
      allowInsecure: this.config.allowInsecureUrls,
    });
    if (!parsed.ok)
      throw unprocessable('the webhook was not created: fix the listed fields', parsed.problems);
    return {
      payload: { webhook: webhookWithSecretView(await this.webhooks.create(accountId, parsed.value)) },
    };
  }

  @Get(':id')
  async get(
    @Param('account_id') account: string,
    @Param('id') id: string,
  ): Promise<{ payload: { webhook: WebhookView } }> {
    const accountId = accountIdOf(account);
    return { payload: { webhook: webhookView(await this.webhooks.get(accountId, webhookIdOf(id))) } };
  }

  @Patch(':id')
  async update(
    @Param('account_id') account: string,
    @Param('id') id: string,
    @Req() request: Request,
    @Body() body: unknown,
  ): Promise<{ payload: { webhook: WebhookView } }> {
    const accountId = accountIdOf(account);
    const webhookId = webhookIdOf(id);
    const parsed = parseUpdateWebhook(jsonBody(request, body), {
      allowInsecure: this.config.allowInsecureUrls,
    });
    if (!parsed.ok)
      throw unprocessable('the webhook was not changed: fix the listed fields', parsed.problems);
    return {
      payload: { webhook: webhookView(await this.webhooks.update(accountId, webhookId, parsed.value)) },
    };
  }

  // Chatwoot routes PUT to update as well.
  @Put(':id')
  replace(
    @Param('account_id') account: string,
    @Param('id') id: string,
    @Req() request: Request,
    @Body() body: unknown,
  ): Promise<{ payload: { webhook: WebhookView } }> {
    return this.update(account, id, request, body);
  }

  @Delete(':id')
  @HttpCode(200)
  async remove(@Param('account_id') account: string, @Param('id') id: string): Promise<void> {
    await this.webhooks.remove(accountIdOf(account), webhookIdOf(id));
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  async rotateSecret(
    @Param('account_id') account: string,
    @Param('id') id: string,
  ): Promise<{ payload: { webhook: WebhookWithSecretView } }> {
    const accountId = accountIdOf(account);
    const webhook = await this.webhooks.rotateSecret(accountId, webhookIdOf(id));
    return { payload: { webhook: webhookWithSecretView(webhook) } };
  }
}

function accountIdOf(raw: string): number {
  const id = parseAccountId(raw);
  if (id === null) throw badRequest(`account_id in the path must be a positive integer, got "${raw}"`);
  return id;
}

// Not a UUID cannot name a webhook: the same 404 as an unknown one.
function webhookIdOf(raw: string): string {
  if (!isWebhookId(raw)) throw new WebhookNotFoundError(raw);
  return raw.toLowerCase();
}

function jsonBody(request: Request, body: unknown): Record<string, unknown> {
  if (!request.is('application/json')) {
    throw badRequest('send the webhook as a JSON object with Content-Type: application/json');
  }
  if (!isJsonObject(body)) throw badRequest('the request body must be a JSON object');
  return body;
}
