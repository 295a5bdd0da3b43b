// The operator's API for issued tokens: create (the token shown once), list (metadata only) and
// revoke, for an account's tokens and for service tokens. Operator token only: to anyone else
// these routes do not exist (404).
import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { Access, ApiTokenGuard } from '@vowchat/platform';
import { badRequest, unprocessable } from '../webhooks-api/webhook.errors';
import { parseAccountId } from '../webhooks-api/webhook-input';
import { apiTokenView, isTokenId, parseCreateToken, type ApiTokenView } from './api-token';
import { CredentialsService, TokenNotFoundError } from './credentials.service';

type One = { payload: { token: ApiTokenView } };
type Many = { payload: { tokens: ApiTokenView[] } };

@Controller('api/v1/operator')
@UseGuards(ApiTokenGuard)
@Access('operator')
export class OperatorTokensController {
  constructor(private readonly credentials: CredentialsService) {}

  @Post('accounts/:account_id/tokens')
  @HttpCode(201)
  async createAccountToken(@Param('account_id') account: string, @Body() body: unknown): Promise<One> {
    const accountId = accountIdOf(account);
    const { token, metadata } = await this.credentials.create('account', accountId, nameOf(body));
    return { payload: { token: apiTokenView(metadata, token) } };
  }

  @Get('accounts/:account_id/tokens')
  async listAccountTokens(@Param('account_id') account: string): Promise<Many> {
    const tokens = await this.credentials.list(accountIdOf(account));
    return { payload: { tokens: tokens.map((t) => apiTokenView(t)) } };
  }

  @Post('service-tokens')
  @HttpCode(201)
  async createServiceToken(@Body() body: unknown): Promise<One> {
    const { token, metadata } = await this.credentials.create('service', null, nameOf(body));
    return { payload: { token: apiTokenView(metadata, token) } };
  }

  @Get('service-tokens')
  async listServiceTokens(): Promise<Many> {
    const tokens = await this.credentials.list(null);
    return { payload: { tokens: tokens.map((t) => apiTokenView(t)) } };
  }

  @Delete('tokens/:id')
  async revoke(@Param('id') id: string): Promise<One> {
    if (!isTokenId(id)) throw new TokenNotFoundError(id);
    return { payload: { token: apiTokenView(await this.credentials.revoke(id.toLowerCase())) } };
  }
}

function accountIdOf(raw: string): number {
  const id = parseAccountId(raw);
  if (id === null) throw badRequest(`account_id in the path must be a positive integer, got "${raw}"`);
  return id;
}

function nameOf(body: unknown): string {
  const parsed = parseCreateToken(body);
  if (!parsed.ok) throw unprocessable('no token was issued: fix the listed fields', parsed.problems);
  return parsed.name;
}
