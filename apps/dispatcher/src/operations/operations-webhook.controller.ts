// An account's operations endpoint over HTTP: where its operational webhooks go (endpoint.failing,
// endpoint.recovered, endpoint.disabling_soon, endpoint.disabled, message.attempt.exhausted). One
// per account; the secret is shown once, when the endpoint is first registered.
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  type HttpException,
  NotFoundException,
  Inject,
  Param,
  Put,
  Req,
  UseGuards,
} from '@nestjs/common';
import { generateSecret } from '@vowchat/events';
import { Access, ApiTokenGuard } from '@vowchat/platform';
import type { Request } from 'express';
import type { DispatcherConfig } from '../config';
import { CLOCK, DISPATCHER_CONFIG, type Clock } from '../tokens';
import { badRequest, unprocessable } from '../webhooks-api/webhook.errors';
import { isJsonObject, parseAccountId } from '../webhooks-api/webhook-input';
import { parseOperationsWebhookInput } from './operations-webhook-input';
import { OperationsWebhookRepository, type OperationsWebhook } from './operations-webhook.repository';

export interface OperationsWebhookView {
  account_id: number;
  url: string;
  created_at: string;
  updated_at: string;
  /** Only when the endpoint was just registered. */
  secret?: string;
}

type Answer = { payload: { operations_webhook: OperationsWebhookView } };

@Controller('api/v1/accounts/:account_id/operations-webhook')
@UseGuards(ApiTokenGuard)
@Access('account')
export class OperationsWebhookController {
  constructor(
    private readonly repository: OperationsWebhookRepository,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  async get(@Param('account_id') account: string): Promise<Answer> {
    const accountId = accountIdOf(account);
    const found = await this.repository.find(accountId);
    if (!found) throw notFound(accountId);
    return { payload: { operations_webhook: view(found, false) } };
  }

  /** Registers the endpoint (200 with its new secret) or changes its URL (200, same secret, not shown). */
  @Put()
  @HttpCode(200)
  async put(
    @Param('account_id') account: string,
    @Req() request: Request,
    @Body() body: unknown,
  ): Promise<Answer> {
    const accountId = accountIdOf(account);
    if (!request.is('application/json') || !isJsonObject(body))
      throw badRequest('send {"url": "https://..."} as JSON with Content-Type: application/json');
    const parsed = parseOperationsWebhookInput(body, { allowInsecure: this.config.allowInsecureUrls });
    if (!parsed.ok)
      throw unprocessable('the operations webhook was not saved: fix the listed fields', parsed.problems);
    const { webhook, created } = await this.repository.put(
      accountId,
      parsed.value.url,
      generateSecret(),
      this.clock.now(),
    );
    return { payload: { operations_webhook: view(webhook, created) } };
  }

  @Delete()
  @HttpCode(200)
  async remove(@Param('account_id') account: string): Promise<void> {
    const accountId = accountIdOf(account);
    if (!(await this.repository.delete(accountId))) throw notFound(accountId);
  }
}

function view(w: OperationsWebhook, withSecret: boolean): OperationsWebhookView {
  return {
    account_id: w.accountId,
    url: w.url,
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
    ...(withSecret ? { secret: w.secret } : {}),
  };
}

function accountIdOf(raw: string): number {
  const id = parseAccountId(raw);
  if (id === null) throw badRequest(`account_id in the path must be a positive integer, got "${raw}"`);
  return id;
}

function notFound(accountId: number): HttpException {
  return new NotFoundException(
    `account ${accountId} has no operations webhook: PUT {"url": ...} to register one`,
  );
}
