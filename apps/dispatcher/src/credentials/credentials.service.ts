// Issuing, listing and revoking API tokens. Postgres holds what the operator lists; the credentials
// topic is what every instance checks tokens against, so each change is ordered to fail safe:
// create publishes the token's record before its row exists (an id anyone can revoke is always
// already on the topic, so its tombstone lands after it), revoke commits and then publishes a
// tombstone (retrying a revoke publishes it again), and every boot republishes the tombstones of
// all revoked tokens, repairing a revoke whose publish was lost (once Postgres is reachable).
import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  CredentialsFollower,
  issueToken,
  type CredentialChange,
  type JsonLogger,
  type TokenScope,
} from '@vowchat/platform';
import { DatabaseConnection } from '../database/database-connection';
import { CLOCK, LOGGER, type Clock } from '../tokens';
import type { ApiToken } from './api-token';
import { ApiTokensRepository } from './api-tokens.repository';
import { CredentialChangesPublisher } from './credential-changes.publisher';

export class TokenNotFoundError extends Error {
  constructor(readonly tokenId: string) {
    super(`API token ${tokenId} not found`);
    this.name = 'TokenNotFoundError';
  }
}

/** The change is not yet on the credentials topic, so other instances may not know it (retriable). */
export class CredentialChangeNotPublishedError extends Error {
  constructor(what: string, topic: string, cause: unknown) {
    super(
      `${what}, but the change could not be published to Kafka topic ${topic} ` +
        `(${(cause as Error)?.message ?? String(cause)}): retry once Kafka is reachable`,
      { cause },
    );
    this.name = 'CredentialChangeNotPublishedError';
  }
}

@Injectable()
export class CredentialsService implements OnApplicationBootstrap {
  private readonly log: JsonLogger;

  constructor(
    private readonly repository: ApiTokensRepository,
    private readonly publisher: CredentialChangesPublisher,
    private readonly follower: CredentialsFollower,
    @Inject(DatabaseConnection) private readonly database: DatabaseConnection,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child({ component: 'credentials' });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.database.whenReadyRun('republish the tombstones of revoked tokens', async () => {
      const revoked = await this.repository.revokedIds();
      await this.publisher.publish(...revoked.map((id): CredentialChange => ({ kind: 'revoked', id })));
    });
  }

  /** A new token for one account (or, with null, a service token); the token is in the answer only. */
  async create(
    scope: TokenScope,
    accountId: number | null,
    name: string,
  ): Promise<{ token: string; metadata: ApiToken }> {
    const { token, sha256 } = issueToken(scope, randomBytes);
    const metadata: ApiToken = {
      id: randomUUID(),
      scope,
      accountId,
      name,
      tokenSha256: sha256,
      createdAt: this.clock.now(),
      lastUsedAt: null,
      revokedAt: null,
    };
    const record = {
      id: metadata.id,
      scope,
      account_id: accountId,
      token_sha256: sha256,
      created_at: metadata.createdAt.toISOString(),
    };
    const issued: CredentialChange = { kind: 'issued', record };
    try {
      await this.publisher.publish(issued);
    } catch (error) {
      throw new CredentialChangeNotPublishedError('no token was issued', this.publisher.topic, error);
    }
    try {
      await this.repository.insert(metadata);
    } catch (error) {
      // Never shown to anyone; withdrawn so it is not left valid without a row to revoke it by.
      await this.publisher.publish({ kind: 'revoked', id: metadata.id }).catch((e: Error) =>
        this.log.errorWith('could not withdraw an unsaved token', {
          token_id: metadata.id,
          error: e.message,
        }),
      );
      throw error;
    }
    this.follower.applyPublished(issued);
    this.log.info('API token issued', { token_id: metadata.id, scope, account_id: accountId });
    return { token, metadata };
  }

  list(accountId: number | null): Promise<ApiToken[]> {
    return this.repository.list(accountId);
  }

  /** Revokes a token (again, if it already was: the tombstone is published each time). */
  async revoke(id: string): Promise<ApiToken> {
    const revoked = await this.repository.revoke(id, this.clock.now());
    if (revoked === null) throw new TokenNotFoundError(id);
    const change: CredentialChange = { kind: 'revoked', id };
    try {
      await this.publisher.publish(change);
    } catch (error) {
      throw new CredentialChangeNotPublishedError(
        `token ${id} is marked revoked`,
        this.publisher.topic,
        error,
      );
    }
    this.follower.applyPublished(change);
    this.log.info('API token revoked', { token_id: id, scope: revoked.scope, account_id: revoked.accountId });
    return revoked;
  }
}
