import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../src/security/standard-webhooks.ts';

// The published Standard Webhooks test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const bytes = (s: string) => new TextEncoder().encode(s);
const headersFor = (signature: string, id = VECTOR.id, timestamp = String(VECTOR.timestamp)) => ({ id, timestamp, signature });

describe('Standard Webhooks signatures', () => {
  it('signs the published vector exactly', () => {
    expect(signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('verifies the published vector within tolerance', () => {
    const result = verifyWebhook({ secrets: [VECTOR.secret], headers: headersFor(VECTOR.signature), body: bytes(VECTOR.body), nowSeconds: VECTOR.timestamp + 10 });
    expect(result).toEqual({ ok: true });
  });

  it('agrees with the standardwebhooks reference package in both directions', () => {
    const reference = new Webhook(VECTOR.secret);
    const at = new Date(VECTOR.timestamp * 1000);
    expect(reference.sign(VECTOR.id, at, VECTOR.body)).toBe(signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body));
  });

  it('accepts any matching entry among several signatures and any configured secret (rotation)', () => {
    const other = 'whsec_dGVzdC1yb3RhdGlvbi1zZWNyZXQtMzItYnl0ZXMhIQ==';
    const header = `v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= v2,whatever ${signWebhook(other, VECTOR.id, VECTOR.timestamp, VECTOR.body)}`;
    const result = verifyWebhook({ secrets: [VECTOR.secret, other], headers: headersFor(header), body: bytes(VECTOR.body), nowSeconds: VECTOR.timestamp });
    expect(result.ok).toBe(true);
  });

  it('rejects a signature over different bytes, even semantically equal JSON', () => {
    const result = verifyWebhook({ secrets: [VECTOR.secret], headers: headersFor(VECTOR.signature), body: bytes('{"test":2432232314}'), nowSeconds: VECTOR.timestamp });
    expect(result).toMatchObject({ ok: false, code: 'invalid_webhook_signature' });
  });

  it('rejects a signature made with another secret', () => {
    const forged = signWebhook('whsec_dGVzdC1yb3RhdGlvbi1zZWNyZXQtMzItYnl0ZXMhIQ==', VECTOR.id, VECTOR.timestamp, VECTOR.body);
    expect(verifyWebhook({ secrets: [VECTOR.secret], headers: headersFor(forged), body: bytes(VECTOR.body), nowSeconds: VECTOR.timestamp })).toMatchObject({ ok: false, code: 'invalid_webhook_signature' });
  });

  it('rejects timestamps outside ±5 minutes and malformed ones', () => {
    const check = (now: number, timestamp = String(VECTOR.timestamp)) =>
      verifyWebhook({ secrets: [VECTOR.secret], headers: headersFor(VECTOR.signature, VECTOR.id, timestamp), body: bytes(VECTOR.body), nowSeconds: now });
    expect(check(VECTOR.timestamp + 300).ok).toBe(true);
    expect(check(VECTOR.timestamp + 301)).toMatchObject({ ok: false, code: 'stale_webhook_timestamp' });
    expect(check(VECTOR.timestamp - 301)).toMatchObject({ ok: false, code: 'stale_webhook_timestamp' });
    expect(check(VECTOR.timestamp, '1614265330.5')).toMatchObject({ ok: false, code: 'invalid_webhook_timestamp' });
  });

  it('names the missing headers', () => {
    const result = verifyWebhook({ secrets: [VECTOR.secret], headers: { id: undefined, timestamp: '1', signature: undefined }, body: bytes(''), nowSeconds: 1 });
    expect(result).toEqual({ ok: false, code: 'missing_webhook_headers', message: 'missing header(s): webhook-id, webhook-signature' });
  });
});
