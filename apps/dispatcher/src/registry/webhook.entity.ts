// One row of `webhooks` (schema: migrations/1732400000000-create-webhooks.ts).
import { Column, Entity, PrimaryColumn, type ValueTransformer } from 'typeorm';
import type { EventType } from '@vowchat/events';
import type { Webhook } from './webhook-change';

// pg hands bigint back as a string; account ids are well inside Number.MAX_SAFE_INTEGER.
const bigintAsNumber: ValueTransformer = {
  to: (value: number) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

@Entity({ name: 'webhooks' })
export class WebhookEntity implements Webhook {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'account_id', type: 'bigint', transformer: bigintAsNumber })
  accountId!: number;

  @Column({ type: 'text', nullable: true })
  name!: string | null;

  @Column({ type: 'text' })
  url!: string;

  @Column({ type: 'text', array: true })
  subscriptions!: EventType[];

  @Column({ type: 'text' })
  secret!: string;

  @Column({ name: 'previous_secret', type: 'text', nullable: true })
  previousSecret!: string | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason!: string | null;

  /** Null: the configured default (DELIVERY_ENDPOINT_RATE_LIMIT). */
  @Column({ name: 'rate_limit_per_second', type: 'integer', nullable: true })
  rateLimitPerSecond!: number | null;

  /** Bumped on every change; registries apply a change only when it is newer than what they hold. */
  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
