import { createHmac } from 'node:crypto';
import { Webhook, WebhookVerificationError as StandardVerificationError } from 'standardwebhooks';
import {
  generateSecret,
  isWebhookSecret,
  signRequest,
  standardSignature,
  verifyWebhook,
  vowchatSignature,
  WebhookVerificationError,
} from './signature';

const EVENT_ID = '01890a5d-ac96-774b-bcce-b302099a8057';
const DELIVERY_ID = '8d7c2f1e-0b7a-8c1d-9e2f-3a4b5c6d7e8f';
// Not ASCII on purpose: both sides must agree that the HMAC covers the UTF-8 bytes.
const BODY = JSON.stringify({ event: 'message_created', id: '123', content: 'Olá, já chegou? ✓' });
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('generateSecret', () => {
  it('makes distinct whsec_ secrets of 24 random bytes', () => {
    const a = generateSecret();
    const b = generateSecret();
    expect(a).not.toBe(b);
    expect(isWebhookSecret(a)).toBe(true);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(24);
  });

  it.each(['', 'whsec_', 'secret', 'whsec_not base64!', 'WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'])(
    'rejects %p as a secret',
    (value) => {
      expect(isWebhookSecret(value)).toBe(false);
    },
  );
});

describe('signRequest', () => {
  it('is accepted unmodified by the standardwebhooks verifier', () => {
    const secret = generateSecret();

    const headers = signRequest([secret], EVENT_ID, DELIVERY_ID, nowSeconds(), BODY);

    expect(new Webhook(secret).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
  });

  it('carries the event id, the timestamp and the delivery id', () => {
    const at = nowSeconds();

    const headers = signRequest([generateSecret()], EVENT_ID, DELIVERY_ID, at, BODY);

    expect(headers).toMatchObject({
      'webhook-id': EVENT_ID,
      'webhook-timestamp': String(at),
      'x-vowchat-timestamp': String(at),
      'x-vowchat-delivery': DELIVERY_ID,
    });
  });

  it('signs with both secrets during a rotation, each accepted by standardwebhooks', () => {
    const [next, previous] = [generateSecret(), generateSecret()];

    const headers = signRequest([next, previous], EVENT_ID, DELIVERY_ID, nowSeconds(), BODY);

    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(next).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
    expect(new Webhook(previous).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY));
    expect(() => new Webhook(generateSecret()).verify(BODY, { ...headers })).toThrow(
      StandardVerificationError,
    );
  });

  it('is rejected by standardwebhooks when the body was altered', () => {
    const secret = generateSecret();
    const headers = signRequest([secret], EVENT_ID, DELIVERY_ID, nowSeconds(), BODY);

    expect(() => new Webhook(secret).verify(BODY.replace('123', '124'), { ...headers })).toThrow(
      StandardVerificationError,
    );
  });

  it('computes X-VowChat-Signature as hex HMAC-SHA256 of "timestamp.body" keyed by the secret text', () => {
    const [next, previous] = [generateSecret(), generateSecret()];
    const at = nowSeconds();
    const expected = (secret: string) =>
      'sha256=' +
      createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${at}.${BODY}`, 'utf8').digest('hex');

    const headers = signRequest([next, previous], EVENT_ID, DELIVERY_ID, at, BODY);

    expect(headers['x-vowchat-signature']).toBe(`${expected(next)} ${expected(previous)}`);
    expect(vowchatSignature(next, at, BODY)).toBe(expected(next));
  });

  it('computes the Standard Webhooks signature over "id.timestamp.body" with the decoded key', () => {
    const secret = generateSecret();
    const at = nowSeconds();
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const expected = 'v1,' + createHmac('sha256', key).update(`${EVENT_ID}.${at}.${BODY}`).digest('base64');

    expect(standardSignature(secret, EVENT_ID, at, BODY)).toBe(expected);
    expect(new Webhook(secret).sign(EVENT_ID, new Date(at * 1000), BODY)).toBe(expected);
  });

  it('refuses to sign without a secret', () => {
    expect(() => signRequest([], EVENT_ID, DELIVERY_ID, nowSeconds(), BODY)).toThrow(
      'signRequest needs at least one secret',
    );
  });
});

describe('verifyWebhook', () => {
  const secret = generateSecret();
  const NOW = new Date('2024-01-15T10:30:00Z');
  const at = Math.floor(NOW.getTime() / 1000);
  const signed = signRequest([secret], EVENT_ID, DELIVERY_ID, at, BODY);
  const options = { now: () => NOW };

  it('returns the payload of a genuine request, body as text or Buffer', () => {
    expect(verifyWebhook(secret, { ...signed }, BODY, options)).toEqual(JSON.parse(BODY));
    expect(verifyWebhook(secret, { ...signed }, Buffer.from(BODY), options)).toEqual(JSON.parse(BODY));
  });

  it('accepts either signature during a rotation', () => {
    const rotated = signRequest([generateSecret(), secret], EVENT_ID, DELIVERY_ID, at, BODY);
    expect(verifyWebhook(secret, { ...rotated }, BODY, options)).toEqual(JSON.parse(BODY));
  });

  it('accepts repeated headers as Node presents them (first value)', () => {
    const headers = { ...signed, 'webhook-id': [EVENT_ID, 'other'] };
    expect(verifyWebhook(secret, headers, BODY, options)).toEqual(JSON.parse(BODY));
  });

  it('rejects a tampered body', () => {
    expect(() => verifyWebhook(secret, { ...signed }, BODY.replace('123', '124'), options)).toThrow(
      new WebhookVerificationError('no signature matches this secret'),
    );
  });

  it('rejects a tampered event id', () => {
    const headers = { ...signed, 'webhook-id': DELIVERY_ID };
    expect(() => verifyWebhook(secret, headers, BODY, options)).toThrow('no signature matches this secret');
  });

  it('rejects the wrong secret', () => {
    expect(() => verifyWebhook(generateSecret(), { ...signed }, BODY, options)).toThrow(
      'no signature matches this secret',
    );
  });

  it('rejects a timestamp outside the tolerance, either way', () => {
    const later = { now: () => new Date(NOW.getTime() + 301_000) };
    const earlier = { now: () => new Date(NOW.getTime() - 301_000) };
    expect(() => verifyWebhook(secret, { ...signed }, BODY, later)).toThrow(
      'webhook-timestamp is more than 300 s from now',
    );
    expect(() => verifyWebhook(secret, { ...signed }, BODY, earlier)).toThrow(WebhookVerificationError);
    expect(verifyWebhook(secret, { ...signed }, BODY, { ...later, toleranceSeconds: 600 })).toEqual(
      JSON.parse(BODY),
    );
  });

  it('rejects a request whose timestamp was changed after signing', () => {
    const headers = { ...signed, 'webhook-timestamp': String(at + 1) };
    expect(() => verifyWebhook(secret, headers, BODY, options)).toThrow('no signature matches this secret');
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const)(
    'rejects a missing %s',
    (name) => {
      const headers: Record<string, string | undefined> = { ...signed, [name]: undefined };
      expect(() => verifyWebhook(secret, headers, BODY, options)).toThrow(
        'missing webhook-id, webhook-timestamp or webhook-signature header',
      );
    },
  );

  it('rejects a timestamp that is not an integer', () => {
    const headers = { ...signed, 'webhook-timestamp': 'yesterday' };
    expect(() => verifyWebhook(secret, headers, BODY, options)).toThrow(
      'webhook-timestamp is not an integer',
    );
  });
});
