// Every TypeORM entity the dispatcher maps.
import { WebhookEntity } from '../registry/webhook.entity';

export const ENTITIES: (new () => object)[] = [WebhookEntity];
