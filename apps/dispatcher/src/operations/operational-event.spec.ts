import type { EndpointLifecycleRecord } from '@vowchat/events';
import type { AttemptRow } from '../outcomes/projection-rows';
import { attemptExhaustedEvent, lifecycleEvent } from './operational-event';

const record: EndpointLifecycleRecord = {
  kind: 'endpoint_lifecycle',
  transition_id: '0190a1b2-0000-7000-8000-00000000000a',
  type: 'endpoint.disabled',
  webhook_id: '0190a1b2-0000-7000-8000-000000000001',
  account_id: 7,
  state: 'disabled',
  failing_since: '2026-01-01T00:00:00.000Z',
  disable_at: null,
  consecutive_failures: 12,
  last_status_code: 500,
  last_error: 'http_5xx',
  reason: 'disabled automatically',
  at: '2026-01-06T00:00:00.000Z',
};

describe('operational events', () => {
  it('describe a lifecycle transition with the URL stripped of credentials and query', () => {
    expect(lifecycleEvent(record, 'https://user:pw@hooks.example.com/in?token=s3cret')).toEqual({
      type: 'endpoint.disabled',
      timestamp: '2026-01-06T00:00:00.000Z',
      data: {
        webhook_id: record.webhook_id,
        account_id: 7,
        url: 'https://hooks.example.com/in',
        state: 'disabled',
        failing_since: '2026-01-01T00:00:00.000Z',
        disable_at: null,
        consecutive_failures: 12,
        last_status_code: 500,
        last_error: 'http_5xx',
        reason: 'disabled automatically',
      },
    });
    expect(
      lifecycleEvent({ ...record, type: 'endpoint.failing', reason: null }, null).data,
    ).not.toHaveProperty('reason');
  });

  it('describe an exhausted delivery by its last attempt', () => {
    const attempt = {
      attempt_id: '0190a1b2-0000-7000-8000-0000000000a1',
      delivery_id: '0190a1b2-0000-7000-8000-0000000000d1',
      event_id: '0190a1b2-0000-7000-8000-0000000000e1',
      webhook_id: record.webhook_id,
      account_id: 7,
      event_type: 'message_created',
      attempt: 8,
      outcome: 'dead',
      status_code: null,
      error: 'timeout',
      finished_at: new Date('2026-01-02T00:00:00.000Z'),
    } as AttemptRow;
    expect(attemptExhaustedEvent(attempt, 'https://hooks.example.com/in')).toEqual({
      type: 'message.attempt.exhausted',
      timestamp: '2026-01-02T00:00:00.000Z',
      data: {
        webhook_id: record.webhook_id,
        account_id: 7,
        url: 'https://hooks.example.com/in',
        delivery_id: attempt.delivery_id,
        event_id: attempt.event_id,
        event_type: 'message_created',
        attempts: 8,
        last_attempt: {
          attempt_id: attempt.attempt_id,
          at: '2026-01-02T00:00:00.000Z',
          status_code: null,
          error: 'timeout',
        },
      },
    });
  });
});
