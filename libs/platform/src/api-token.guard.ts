// Both HTTP APIs authenticate with a token from configuration, sent as `api_access_token`
// (as Chatwoot's API does) or as `Authorization: Bearer <token>`.
import { timingSafeEqual } from 'node:crypto';
import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { Request } from 'express';

/** Provide the configured token under this, and `@UseGuards(ApiTokenGuard)` works in any module. */
export const API_TOKEN = Symbol('API_TOKEN');

/** The token a request presents, from either header; undefined when it has none. */
export function presentedToken(headers: Request['headers']): string | undefined {
  const direct = headers['api_access_token'];
  if (typeof direct === 'string' && direct !== '') return direct;
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  return undefined;
}

/** Constant-time comparison, so response timing does not reveal how much of a token matched. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(@Inject(API_TOKEN) private readonly expected: string) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const token = presentedToken(request.headers);
    if (tokenMatches(token, this.expected)) return true;
    throw new UnauthorizedException(
      token === undefined
        ? 'missing API token: send it in the api_access_token header or as Authorization: Bearer <token>'
        : 'invalid API token',
    );
  }
}
