// The lifecycle of listed webhooks, for the health API: one indexed read per answer.
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DispatcherConfig } from '../config';
import { DISPATCHER_CONFIG } from '../tokens';
import { LifecycleStore, type LifecycleStatus } from './lifecycle.store';

@Injectable()
export class LifecycleReader {
  private readonly store: LifecycleStore;

  constructor(
    @Inject(DataSource) private readonly db: DataSource,
    @Inject(DISPATCHER_CONFIG) config: DispatcherConfig,
  ) {
    this.store = new LifecycleStore(config.lifecycle);
  }

  /** Each listed webhook's lifecycle; webhooks absent from the map are healthy. */
  statuses(ids: string[]): Promise<Map<string, LifecycleStatus>> {
    return this.store.statuses(this.db, ids);
  }
}
