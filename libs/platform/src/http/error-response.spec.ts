import { BadRequestException, HttpException, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { ApiError, errorResponse } from './api-error';
import { toErrorResponse, type ErrorContext } from './error-response';

class KafkaDown extends Error {}

const context: ErrorContext = {
  method: 'POST',
  path: '/api/v1/accounts/11/events',
  maxBodyBytes: 1024,
  tooLargeHint: 'send fewer events per request.',
  routesHint: 'events go to POST /api/v1/accounts/:account_id/events or .../events/batch.',
  appName: 'The producer',
  translate: (e) =>
    e instanceof KafkaDown
      ? {
          ...errorResponse(
            503,
            'kafka_unavailable',
            `Kafka did not accept the events (${e.message}); retry the request`,
          ),
          retryAfterSeconds: 1,
        }
      : undefined,
};

/** An error as body-parser raises it (http-errors: status, type, expose). */
function bodyParserError(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, type, expose: true });
}

describe('toErrorResponse', () => {
  it('answers an ApiError as it says', () => {
    const response = errorResponse(422, 'invalid_event', 'The event is not valid.', [
      { field: 'x', message: 'y' },
    ]);
    expect(toErrorResponse(new ApiError(response), context)).toEqual({ ...response, unexpected: false });
  });

  it("answers the app's own errors as its translation says", () => {
    const response = toErrorResponse(new KafkaDown('connect ECONNREFUSED 127.0.0.1:9092'), context);
    expect(response).toMatchObject({ status: 503, retryAfterSeconds: 1, unexpected: false });
    expect(response.body.error).toBe('kafka_unavailable');
    expect(response.body.message).toMatch(
      /^Kafka did not accept the events \(.*ECONNREFUSED.*\); retry the request/,
    );
  });

  it('answers an oversized body with 413 naming the limit', () => {
    expect(
      toErrorResponse(bodyParserError(413, 'entity.too.large', 'request entity too large'), context),
    ).toEqual({
      status: 413,
      body: {
        error: 'payload_too_large',
        message: 'The request body is larger than the limit of 1024 bytes; send fewer events per request.',
        problems: [],
      },
      unexpected: false,
    });
  });

  it('answers a body that does not decode as its Content-Encoding says with 400', () => {
    const error = Object.assign(new Error('Bad Request'), { status: 400, statusCode: 400, expose: true });
    expect(toErrorResponse(error, context)).toEqual({
      status: 400,
      body: {
        error: 'bad_request',
        message:
          'The request body could not be read (Bad Request); check that it is encoded as its Content-Encoding says.',
        problems: [],
      },
      unexpected: false,
    });
  });

  it('answers an unsupported content encoding with 415', () => {
    const error = bodyParserError(415, 'encoding.unsupported', 'unsupported content encoding "br"');
    expect(toErrorResponse(error, context)).toMatchObject({
      status: 415,
      body: { error: 'unsupported_encoding' },
    });
  });

  it('answers a missing token with 401 and the guard message', () => {
    const error = new UnauthorizedException('missing API token: send it in the api_access_token header');
    expect(toErrorResponse(error, context)).toEqual({
      status: 401,
      body: {
        error: 'unauthorized',
        message: 'missing API token: send it in the api_access_token header.',
        problems: [],
      },
      unexpected: false,
    });
  });

  it('answers an unknown route with 404 pointing at the real ones', () => {
    const response = toErrorResponse(new NotFoundException('Cannot GET /nope'), {
      ...context,
      method: 'GET',
      path: '/nope',
    });
    expect(response).toMatchObject({ status: 404, body: { error: 'not_found' } });
    expect(response.body.message).toMatch(/^There is no route GET \/nope; events go to POST/);
  });

  it('answers any other 404 with its own message, as a webhook unknown to the account', () => {
    expect(toErrorResponse(new NotFoundException('webhook x not found in this account'), context)).toEqual({
      status: 404,
      body: { error: 'not_found', message: 'webhook x not found in this account', problems: [] },
      unexpected: false,
    });
  });

  it('keeps the problems an HttpException carries, and names its status as a code', () => {
    const problems = [{ field: 'url', message: 'url is required' }];
    const exception = new HttpException({ message: 'fix the listed fields', problems }, 422);
    expect(toErrorResponse(exception, context).body).toEqual({
      error: 'invalid_request',
      message: 'fix the listed fields',
      problems,
    });
    expect(toErrorResponse(new BadRequestException('limit must be 1-200'), context).body).toEqual({
      error: 'bad_request',
      message: 'limit must be 1-200',
      problems: [],
    });
  });

  it('answers JSON the body parser could not parse with 400 invalid_json', () => {
    const error = bodyParserError(400, 'entity.parse.failed', 'Unexpected token } in JSON at position 9');
    expect(toErrorResponse(error, context)).toMatchObject({ status: 400, body: { error: 'invalid_json' } });
  });

  it('answers anything else with a 500 that reveals nothing and marks it unexpected', () => {
    expect(toErrorResponse(new TypeError('x is undefined at secret/path.ts'), context)).toEqual({
      status: 500,
      body: {
        error: 'internal_error',
        message: 'The producer failed unexpectedly; the error is in its log.',
        problems: [],
      },
      unexpected: true,
    });
  });
});
