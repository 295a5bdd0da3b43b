// HTTP edge of the health API: one webhook's health (or its series), an account's endpoints worst
// first, and the operator's view across accounts. Behind the API token, answering errors in the
// webhooks API's shape ({statusCode, error, message, problems}); another account's webhook is a 404.
import { Controller, Get, HttpException, HttpStatus, Param, Query, UseGuards } from '@nestjs/common';
import type { FieldProblem } from '@vowchat/events';
import { Access, ApiTokenGuard } from '@vowchat/platform';
import { badRequest, WebhookNotFoundError } from '../webhooks-api/webhook.errors';
import { isWebhookId, parseAccountId } from '../webhooks-api/webhook-input';
import {
  parseAccountHealthQuery,
  parseEndpointHealthQuery,
  parseOperatorHealthQuery,
  type ParsedQuery,
} from './health-window';
import { HealthQueryService } from './health-query.service';
import type {
  AccountHealthView,
  EndpointHealthView,
  EndpointSeriesView,
  OperatorHealthView,
} from './health.view';

type RawQuery = Record<string, unknown>;

@Controller('api/v1')
@UseGuards(ApiTokenGuard)
@Access('account')
export class EndpointHealthController {
  constructor(private readonly health: HealthQueryService) {}

  @Get('accounts/:account_id/webhooks/:id/health')
  async endpoint(
    @Param('account_id') account: string,
    @Param('id') id: string,
    @Query() query: RawQuery,
  ): Promise<EndpointHealthView | EndpointSeriesView> {
    const accountId = accountIdOf(account);
    // Not a UUID cannot name a webhook: the same 404 as an unknown one.
    if (!isWebhookId(id)) throw new WebhookNotFoundError(id);
    return this.health.endpoint(accountId, id.toLowerCase(), accepted(parseEndpointHealthQuery(query)));
  }

  @Get('accounts/:account_id/health')
  async account(@Param('account_id') account: string, @Query() query: RawQuery): Promise<AccountHealthView> {
    const accountId = accountIdOf(account);
    return this.health.account(accountId, accepted(parseAccountHealthQuery(query)).window);
  }

  @Get('operator/health')
  @Access('operator')
  async operator(@Query() query: RawQuery): Promise<OperatorHealthView> {
    const { window, limit } = accepted(parseOperatorHealthQuery(query));
    return this.health.operator(window, limit);
  }
}

function accountIdOf(raw: string): number {
  const id = parseAccountId(raw);
  if (id === null) throw badRequest(`account_id in the path must be a positive integer, got "${raw}"`);
  return id;
}

function accepted<T>(parsed: ParsedQuery<T>): T {
  if (parsed.ok) return parsed.value;
  throw badQuery(parsed.problems);
}

/** 400 naming each query parameter that is wrong, in the shape every dispatcher error has. */
function badQuery(problems: FieldProblem[]): HttpException {
  const fields = [...new Set(problems.map((p) => p.field))].join(', ');
  return new HttpException(
    { statusCode: 400, error: 'Bad Request', message: `fix the query parameter(s): ${fields}`, problems },
    HttpStatus.BAD_REQUEST,
  );
}
