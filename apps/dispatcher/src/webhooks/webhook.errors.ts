// What can go wrong with a webhook change, as the domain says it. The HTTP answer each gets is the
// API's business (webhooks-api/webhook.errors.ts maps them).

/** No webhook with that id in that account (another account's webhook is never visible). */
export class WebhookNotFoundError extends Error {
  constructor(readonly webhookId: string) {
    super(`webhook ${webhookId} not found in this account`);
    this.name = 'WebhookNotFoundError';
  }
}

export class WebhookLimitReachedError extends Error {
  constructor(readonly limit: number) {
    super(
      `this account already has ${limit} webhooks, the most it may have; delete one before adding another`,
    );
    this.name = 'WebhookLimitReachedError';
  }
}

/** The change is saved in Postgres but could not be published to the other instances (retriable). */
export class ChangeNotPublishedError extends Error {
  constructor(webhookId: string, topic: string, cause: unknown) {
    super(
      `webhook ${webhookId} was saved, but the change could not be published to Kafka topic ${topic} ` +
        `(${(cause as Error)?.message ?? String(cause)}); other dispatcher instances see it after their next ` +
        `restart or the next change to this webhook: retry the same change once Kafka is reachable`,
      { cause },
    );
    this.name = 'ChangeNotPublishedError';
  }
}
