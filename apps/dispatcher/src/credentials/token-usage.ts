// Records when issued tokens were last used, without a write per request: uses are noted in memory
// and written at most once a minute, in one UPDATE. The dispatcher's uses only (the producer has no
// Postgres); what the operator sees in `last_used_at`, to the minute.
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { CredentialResolver, JsonLogger } from '@vowchat/platform';
import { CLOCK, LOGGER, type Clock } from '../tokens';
import { ApiTokensRepository } from './api-tokens.repository';

export const USAGE_FLUSH_MS = 60_000;

@Injectable()
export class TokenUsage implements OnApplicationShutdown {
  private used = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private readonly log: JsonLogger;

  constructor(
    private readonly repository: ApiTokensRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child({ component: 'credentials' });
    this.timer = setInterval(() => void this.flush(), USAGE_FLUSH_MS).unref();
  }

  /** `resolver`, noting each issued token it accepts. */
  recording(resolver: CredentialResolver): CredentialResolver {
    return {
      resolve: (token) => {
        const principal = resolver.resolve(token);
        if (typeof principal === 'object' && principal.kind !== 'operator') this.used.add(principal.tokenId);
        return principal;
      },
    };
  }

  async flush(): Promise<void> {
    const ids = [...this.used];
    this.used = new Set();
    try {
      await this.repository.markUsed(ids, this.clock.now());
    } catch (error) {
      this.log.warnWith('could not record API token use', {
        tokens: ids.length,
        error: (error as Error).message,
      });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
