import { redeliveryJob, redeliveryRefusal, type RedeliveryCandidate } from './redelivery';

const dead: RedeliveryCandidate = {
  delivery_id: '11111111-1111-4111-8111-111111111111',
  event_id: '33333333-3333-4333-8333-333333333333',
  webhook_id: '22222222-2222-4222-8222-222222222222',
  account_id: 11,
  event_type: 'message_created',
  outcome: 'dead',
  attempts: 8,
  next_attempt_at: null,
  payload: '{"event":"message_created"}',
};

describe('redeliveryRefusal', () => {
  it.each(['failed', 'dead'] as const)('lets a %s delivery be redelivered', (outcome) => {
    expect(redeliveryRefusal({ ...dead, outcome })).toBeNull();
  });

  it('refuses a delivered one', () => {
    expect(redeliveryRefusal({ ...dead, outcome: 'delivered', attempts: 2 })).toBe(
      'delivery 11111111-1111-4111-8111-111111111111 was delivered (attempt 2); only failed or dead deliveries can be redelivered',
    );
  });

  it('refuses one still being retried, saying when its next attempt is due', () => {
    const retrying = {
      ...dead,
      outcome: 'retrying' as const,
      attempts: 2,
      next_attempt_at: new Date('2024-01-15T10:00:05Z'),
    };
    expect(redeliveryRefusal(retrying)).toBe(
      'delivery 11111111-1111-4111-8111-111111111111 is still being retried (attempt 3 is due at 2024-01-15T10:00:05.000Z); ' +
        'redeliver it once it has failed or is dead',
    );
  });

  it('refuses one whose event body was not recorded', () => {
    expect(redeliveryRefusal({ ...dead, payload: null })).toMatch(
      /its event body was not recorded; republish the event/,
    );
  });
});

describe('redeliveryJob', () => {
  it('is the next attempt of the same delivery, from the retry store, with the recorded body', () => {
    expect(redeliveryJob({ ...dead, payload: dead.payload! })).toEqual({
      deliveryId: dead.delivery_id,
      eventId: dead.event_id,
      eventType: 'message_created',
      accountId: 11,
      webhookId: dead.webhook_id,
      body: '{"event":"message_created"}',
      attempt: 9,
      source: 'retry',
      publishedAt: null,
      routedAt: null,
    });
  });
});
