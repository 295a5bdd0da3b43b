// Every migration, in order. Add new ones at the end; never edit one that has shipped.
import { CreateWebhooks1732400000000 } from './1732400000000-create-webhooks';
import { CreateDeliveryTables1732400100000 } from './1732400100000-create-delivery-tables';
import { CreateHealthRollups1796032700000 } from './1796032700000-create-health-rollups';
import { CreateHealthApiIndexes1796032800000 } from './1796032800000-create-health-api-indexes';
import { CreateEndpointLifecycle1796033500000 } from './1796033500000-create-endpoint-lifecycle';
import { AddWebhookRateLimit1796034000000 } from './1796034000000-add-webhook-rate-limit';
import { CreateApiTokens1796034300000 } from './1796034300000-create-api-tokens';
import { AddRollupInternalErrors1796034400000 } from './1796034400000-add-rollup-internal-errors';
import { AddRoutedAt1796034600000 } from './1796034600000-add-routed-at';
import { CreateWebhookOutbox1796034700000 } from './1796034700000-create-webhook-outbox';
import { OutboxStateRecords1796034800000 } from './1796034800000-outbox-state-records';

export const MIGRATIONS: (new () => object)[] = [
  CreateWebhooks1732400000000,
  CreateDeliveryTables1732400100000,
  CreateHealthRollups1796032700000,
  CreateHealthApiIndexes1796032800000,
  CreateEndpointLifecycle1796033500000,
  AddWebhookRateLimit1796034000000,
  CreateApiTokens1796034300000,
  AddRollupInternalErrors1796034400000,
  AddRoutedAt1796034600000,
  CreateWebhookOutbox1796034700000,
  OutboxStateRecords1796034800000,
];
