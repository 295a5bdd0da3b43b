// Both HTTP APIs authenticate with a token sent as `api_access_token` (as Chatwoot's API does) or as
// `Authorization: Bearer <token>`: the operator token from configuration, or a token issued to an
// account or a backend service (credentials/). Each route declares what it requires with @Access;
// a route that declares nothing is the operator's alone, so a forgotten declaration fails closed.
import { timingSafeEqual } from 'node:crypto';
import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  NotFoundException,
  Optional,
  ServiceUnavailableException,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { CREDENTIALS, type CredentialResolver } from './credentials/credentials.follower';
import { decideAccess, type Principal, type RouteAccess } from './credentials/principal';

/** Provide the configured (operator) token under this, and `@UseGuards(ApiTokenGuard)` works in any module. */
export const API_TOKEN = Symbol('API_TOKEN');

export const ACCESS_METADATA = 'vowchat:access';

/** What a controller or route requires (principal.ts); the method's declaration wins over the class's. */
export const Access = (access: RouteAccess) => SetMetadata(ACCESS_METADATA, access);

/** The request as the guard leaves it: who it acts for. */
export type AuthenticatedRequest = Request & { principal?: Principal };

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
  constructor(
    @Inject(API_TOKEN) private readonly operatorToken: string,
    private readonly reflector: Reflector,
    @Optional() @Inject(CREDENTIALS) private readonly credentials?: CredentialResolver,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const access =
      this.reflector.getAllAndOverride<RouteAccess | undefined>(ACCESS_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'operator';
    if (access === 'public') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = this.authenticate(presentedToken(request.headers));
    const accountParam = request.params?.account_id;
    if (
      decideAccess(principal, access, typeof accountParam === 'string' ? accountParam : undefined) === 'allow'
    ) {
      request.principal = principal;
      return true;
    }
    throw notFound(request, access);
  }

  private authenticate(token: string | undefined): Principal {
    if (token === undefined)
      throw new UnauthorizedException(
        'missing API token: send it in the api_access_token header or as Authorization: Bearer <token>',
      );
    if (tokenMatches(token, this.operatorToken)) return { kind: 'operator' };
    const resolved = this.credentials?.resolve(token);
    if (resolved === 'unavailable')
      throw new ServiceUnavailableException(
        'issued API tokens cannot be checked yet: retry in a few seconds',
      );
    if (resolved === undefined) throw new UnauthorizedException('invalid API token');
    return resolved;
  }
}

/**
 * The answer to a principal that may not use the route: the body an unknown webhook gets when the
 * path names one, else the body of a route that does not exist. Nothing tells another account apart.
 */
function notFound(request: Request, access: RouteAccess): NotFoundException {
  const webhookId = request.params?.id;
  if (access !== 'operator' && typeof webhookId === 'string') {
    const id = /^[0-9a-f-]{36}$/i.test(webhookId) ? webhookId.toLowerCase() : webhookId;
    return new NotFoundException(`webhook ${id} not found in this account`);
  }
  return new NotFoundException(`Cannot ${request.method} ${request.path}`);
}
