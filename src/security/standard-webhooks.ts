import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * Standard Webhooks (https://www.standardwebhooks.com): HMAC-SHA256 over
 * `${webhook-id}.${webhook-timestamp}.${raw body}`, sent as space-separated `v1,<base64>` entries.
 * Used to verify the platform's deliveries and to sign our own outbound ones.
 */

export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export type WebhookVerificationCode =
  | 'missing_webhook_headers'
  | 'invalid_webhook_timestamp'
  | 'stale_webhook_timestamp'
  | 'invalid_webhook_signature';

export type WebhookVerification =
  | { ok: true }
  | { ok: false; code: WebhookVerificationCode; message: string };

export interface WebhookHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** A key object made once: HMAC with a raw buffer key builds one on every call. */
export function signingKey(secret: string): KeyObject {
  return createSecretKey(secretKey(secret));
}

function digest(key: Buffer | KeyObject, id: string, timestamp: string, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

export function signWebhook(secret: string, id: string, timestampSeconds: number, body: Uint8Array | string): string {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return `v1,${digest(secretKey(secret), id, String(timestampSeconds), bytes).toString('base64')}`;
}

/**
 * `secrets` may be given as key objects (see signingKey) so a hot path prepares them once, not per request.
 */
export function verifyWebhook(opts: {
  secrets: readonly (string | KeyObject)[];
  headers: WebhookHeaders;
  body: Uint8Array;
  nowSeconds: number;
  toleranceSeconds?: number;
}): WebhookVerification {
  const { id, timestamp, signature } = opts.headers;
  if (!id || !timestamp || !signature) {
    const missing = [!id && 'webhook-id', !timestamp && 'webhook-timestamp', !signature && 'webhook-signature'].filter(Boolean);
    return { ok: false, code: 'missing_webhook_headers', message: `missing header(s): ${missing.join(', ')}` };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, code: 'invalid_webhook_timestamp', message: 'webhook-timestamp must be whole seconds since the epoch' };
  }
  const tolerance = opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const skew = opts.nowSeconds - Number(timestamp);
  if (Math.abs(skew) > tolerance) {
    return {
      ok: false,
      code: 'stale_webhook_timestamp',
      message: `webhook-timestamp is ${Math.abs(skew)}s ${skew > 0 ? 'in the past' : 'in the future'}; at most ${tolerance}s allowed`,
    };
  }
  const offered = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  for (const secret of opts.secrets) {
    const expected = digest(typeof secret === 'string' ? secretKey(secret) : secret, id, timestamp, opts.body);
    // timingSafeEqual needs equal lengths; a length mismatch reveals nothing secret.
    if (offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) {
      return { ok: true };
    }
  }
  return { ok: false, code: 'invalid_webhook_signature', message: 'no webhook-signature entry matches any configured secret' };
}
