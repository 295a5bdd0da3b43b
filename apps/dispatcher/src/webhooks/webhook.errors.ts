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
