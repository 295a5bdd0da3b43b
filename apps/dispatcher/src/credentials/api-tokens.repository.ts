// `api_tokens`: issued tokens' metadata and hashes. Plain SQL on the shared DataSource.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { TokenScope } from '@vowchat/platform';
import type { ApiToken } from './api-token';

interface Row {
  id: string;
  scope: TokenScope;
  account_id: string | null;
  name: string;
  token_sha256: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

@Injectable()
export class ApiTokensRepository {
  constructor(@Inject(DataSource) private readonly db: DataSource) {}

  async insert(token: ApiToken): Promise<void> {
    await this.db.query(
      `INSERT INTO api_tokens (id, scope, account_id, name, token_sha256, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [token.id, token.scope, token.accountId, token.name, token.tokenSha256, token.createdAt],
    );
  }

  /** An account's tokens (or, with null, the service tokens), oldest first, revoked ones included. */
  async list(accountId: number | null): Promise<ApiToken[]> {
    const rows =
      accountId === null
        ? await this.db.query<Row[]>(
            `SELECT * FROM api_tokens WHERE scope = 'service' ORDER BY created_at, id`,
          )
        : await this.db.query<Row[]>(
            `SELECT * FROM api_tokens WHERE scope = 'account' AND account_id = $1 ORDER BY created_at, id`,
            [accountId],
          );
    return rows.map(fromRow);
  }

  /** Marks the token revoked (the first revocation's time stays); null when there is no such token. */
  async revoke(id: string, at: Date): Promise<ApiToken | null> {
    const rows = await this.db.query<[Row[], number]>(
      `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING *`,
      [id, at],
    );
    const [updated] = rows[0];
    return updated ? fromRow(updated) : null;
  }

  /** Ids of every revoked token (republished as tombstones at boot). */
  async revokedIds(): Promise<string[]> {
    const rows = await this.db.query<{ id: string }[]>(
      `SELECT id FROM api_tokens WHERE revoked_at IS NOT NULL`,
    );
    return rows.map((r) => r.id);
  }

  async markUsed(ids: string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`UPDATE api_tokens SET last_used_at = $2 WHERE id = ANY($1::uuid[])`, [ids, at]);
  }
}

function fromRow(r: Row): ApiToken {
  return {
    id: r.id,
    scope: r.scope,
    accountId: r.account_id === null ? null : Number(r.account_id),
    name: r.name,
    tokenSha256: r.token_sha256,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}
