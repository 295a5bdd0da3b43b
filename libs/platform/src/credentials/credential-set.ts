// The valid issued tokens an instance knows, by hash: what the guard resolves a presented token
// against. Fed by the credentials topic (credentials.follower.ts); no I/O here.
import type { CredentialChange } from './credential-record';
import { sameSecret, scopeOfToken, tokenSha256 } from './credential-token';
import type { Principal } from './principal';

interface Entry {
  sha256: string;
  principal: Exclude<Principal, { kind: 'operator' }>;
}

export class CredentialSet {
  private readonly byId = new Map<string, Entry>();
  private readonly idByHash = new Map<string, string>();
  // Ids are never reissued, so a revocation is final: an instance that applied its own revocation
  // before reading the token's earlier 'issued' record from the topic must not take it back.
  private readonly revoked = new Set<string>();

  get size(): number {
    return this.byId.size;
  }

  apply(change: CredentialChange): void {
    const id = change.kind === 'issued' ? change.record.id : change.id;
    const previous = this.byId.get(id);
    if (previous) {
      this.byId.delete(id);
      this.idByHash.delete(previous.sha256);
    }
    if (change.kind === 'revoked') {
      this.revoked.add(id);
      return;
    }
    if (this.revoked.has(id)) return;
    const { record } = change;
    const principal: Entry['principal'] =
      record.scope === 'account'
        ? { kind: 'account', tokenId: id, accountId: record.account_id as number }
        : { kind: 'service', tokenId: id };
    this.byId.set(id, { sha256: record.token_sha256, principal });
    this.idByHash.set(record.token_sha256, id);
  }

  /** The principal of a presented issued token; undefined when it is unknown, revoked or malformed. */
  resolve(token: string): Entry['principal'] | undefined {
    const scope = scopeOfToken(token);
    if (scope === undefined) return undefined;
    const hash = tokenSha256(token);
    const id = this.idByHash.get(hash);
    const entry = id === undefined ? undefined : this.byId.get(id);
    // The map found it by the hash already; the constant-time check and the scope check keep a
    // future change of the lookup (or a record whose prefix lies about its scope) honest.
    if (!entry || !sameSecret(entry.sha256, hash)) return undefined;
    if (entry.principal.kind !== scope) return undefined;
    return entry.principal;
  }
}
