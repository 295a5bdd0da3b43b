import { EntityMetadataNotFoundError } from 'typeorm';
import { dispatcherErrorResponse } from './http-setup';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('dispatcherErrorResponse', () => {
  it('answers 503 database_unavailable, with a retry hint, when Postgres cannot be reached', () => {
    expect(dispatcherErrorResponse(refused)).toMatchObject({
      status: 503,
      body: { error: 'database_unavailable' },
      retryAfterSeconds: 5,
    });
    expect(dispatcherErrorResponse(new Error('Driver not Connected'), false)).toMatchObject({ status: 503 });
  });

  it('reads a missing entity metadata as Postgres not yet connected only before the first connection', () => {
    const missing = new EntityMetadataNotFoundError('WebhookEntity');
    expect(dispatcherErrorResponse(missing, false)).toMatchObject({ status: 503 });
    expect(dispatcherErrorResponse(missing, true)).toBeUndefined();
  });

  it('leaves other errors to the common mapping', () => {
    expect(dispatcherErrorResponse(new Error('boom'))).toBeUndefined();
  });
});
