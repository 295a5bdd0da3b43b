// HTTP edge of the delivery log: a webhook's deliveries (paged, filtered), one delivery with its
// attempts, and redelivery of failed or dead deliveries. Another account's webhook is a 404.
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { Access, ApiTokenGuard } from '@vowchat/platform';
import { isWebhookId, parseAccountId } from '../webhooks-api/webhook-input';
import {
  encodeCursor,
  isDeliveryId,
  parseDeliveryListQuery,
  parseRedeliverSince,
} from './delivery-log-query';
import type { WebhookScope } from './delivery-log.repository';
import { deliveryNotFound, DeliveryLogService, webhookNotFound } from './delivery-log.service';
import { attemptView, deliveryView, type DeliveryDetailView, type DeliveryView } from './delivery.view';

@Controller('api/v1/accounts/:account_id/webhooks/:id')
@UseGuards(ApiTokenGuard)
@Access('account')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveryLogService) {}

  @Get('deliveries')
  async list(
    @Param('account_id') account: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ deliveries: DeliveryView[]; next_cursor: string | null }> {
    const scope = scopeOf(account, id);
    const parsed = parseDeliveryListQuery(query);
    if (!parsed.ok) throw new BadRequestException(parsed.message);
    const page = await this.deliveries.list(scope, parsed.value);
    return {
      deliveries: page.rows.map(deliveryView),
      next_cursor: page.next ? encodeCursor(page.next) : null,
    };
  }

  @Get('deliveries/:delivery_id')
  async get(
    @Param('account_id') account: string,
    @Param('id') id: string,
    @Param('delivery_id') deliveryId: string,
  ): Promise<DeliveryDetailView> {
    const { delivery, attempts } = await this.deliveries.get(scopeOf(account, id), deliveryIdOf(deliveryId));
    // The attempts themselves take the place of their count.
    return { ...deliveryView(delivery), attempts: attempts.map(attemptView) };
  }

  @Post('deliveries/:delivery_id/redeliver')
  @HttpCode(202)
  async redeliverOne(
    @Param('account_id') account: string,
    @Param('id') id: string,
    @Param('delivery_id') deliveryId: string,
  ): Promise<{ delivery_id: string; attempt: number }> {
    const delivery = deliveryIdOf(deliveryId);
    const attempt = await this.deliveries.redeliver(scopeOf(account, id), delivery);
    return { delivery_id: delivery, attempt };
  }

  @Post('redeliver')
  @HttpCode(202)
  async redeliverSince(
    @Param('account_id') account: string,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<{ redelivered: number; skipped_without_body: number }> {
    const scope = scopeOf(account, id);
    const since = parseRedeliverSince(body);
    if (!since.ok) throw new BadRequestException(since.message);
    const { redelivered, skipped } = await this.deliveries.redeliverSince(scope, since.value);
    return { redelivered, skipped_without_body: skipped };
  }
}

function scopeOf(account: string, id: string): WebhookScope {
  const accountId = parseAccountId(account);
  if (accountId === null)
    throw new BadRequestException(`account_id in the path must be a positive integer, got "${account}"`);
  // Not a UUID cannot name a webhook: the same 404 as an unknown one.
  if (!isWebhookId(id)) throw webhookNotFound(id);
  return { accountId, webhookId: id.toLowerCase() };
}

function deliveryIdOf(raw: string): string {
  if (!isDeliveryId(raw)) throw deliveryNotFound(raw);
  return raw.toLowerCase();
}
