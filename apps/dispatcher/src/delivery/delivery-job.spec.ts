import { deferralRecord, deliveryIdOf, publishedAtOf, type DeliveryJob } from './delivery-job';

describe('publishedAtOf', () => {
  it('turns a Kafka timestamp into an ISO time', () => {
    expect(publishedAtOf(String(Date.UTC(2024, 0, 15, 10, 0, 0, 123)))).toBe('2024-01-15T10:00:00.123Z');
  });

  it.each(['-1', '0', '', 'soon', undefined])('has no time for %p', (timestamp) => {
    expect(publishedAtOf(timestamp)).toBeNull();
  });
});

describe('deferralRecord', () => {
  const job: DeliveryJob = {
    deliveryId: deliveryIdOf('0190f000-0000-7000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000001'),
    eventId: '0190f000-0000-7000-8000-000000000001',
    eventType: 'message_created',
    accountId: 11,
    webhookId: 'aaaaaaaa-0000-4000-8000-000000000001',
    body: '{}',
    attempt: 3,
    source: 'retry',
    publishedAt: null,
    routedAt: null,
  };

  it('names the delivery, the attempt put off and why, under an id of its own', () => {
    const at = new Date('2024-01-15T10:00:00Z');
    const record = deferralRecord(job, 'breaker_open', at);
    expect(record).toEqual({
      kind: 'deferral',
      deferral_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/),
      delivery_id: job.deliveryId,
      webhook_id: job.webhookId,
      account_id: 11,
      event_type: 'message_created',
      attempt: 3,
      reason: 'breaker_open',
      at: '2024-01-15T10:00:00.000Z',
      routed_at: null,
      event_published_at: null,
    });
    expect(deferralRecord(job, 'breaker_open', at).deferral_id).not.toBe(record.deferral_id);
  });

  it('carries the routing and publish times of a first dispatch from the stream', () => {
    const fromStream: DeliveryJob = {
      ...job,
      attempt: 1,
      source: 'stream',
      publishedAt: '2024-01-15T09:59:59.000Z',
      routedAt: '2024-01-15T10:00:00.000Z',
    };
    expect(deferralRecord(fromStream, 'rate_limited', new Date('2024-01-15T10:00:01Z'))).toMatchObject({
      routed_at: '2024-01-15T10:00:00.000Z',
      event_published_at: '2024-01-15T09:59:59.000Z',
    });
  });
});
