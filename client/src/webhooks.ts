import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.ts';

/**
 * Standard Webhooks (https://www.standardwebhooks.com), node:crypto only: the signature is an
 * HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${raw body}`, keyed with the base64 part
 * of a `whsec_…` secret and sent as `webhook-signature: v1,<base64>`.
 */

export type OpsWebhookEvent = components['schemas']['OpsWebhookEvent'];

/** The headers of one delivery, ready to send. */
export interface WebhookHeaders {
  'content-type': 'application/json';
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export interface SignOpsWebhookOptions {
  /**
   * A `whsec_…` secret (one of the gateway's OPS_WEBHOOK_SECRETS). Several (during a rotation):
   * one `v1,` entry each, space-separated; the gateway accepts the delivery if any matches.
   */
  secret: string | readonly string[];
  /** The delivery's id, its idempotency key at the gateway (≤ 255 characters). Default `msg_<uuid>`; reuse it to redeliver. */
  id?: string;
  /** When it was signed: seconds since the epoch, or a Date. Default now; the gateway allows ±5 minutes. */
  timestamp?: number | Date;
  /** The event (serialised once with JSON.stringify), or the exact bytes to send. */
  body: OpsWebhookEvent | string | Uint8Array;
}

export interface SignedOpsWebhook {
  readonly id: string;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  /** The `webhook-signature` header value: `v1,<base64>` (one entry per secret). */
  readonly signature: string;
  /** The exact body that was signed: send these bytes unchanged. */
  readonly body: string | Uint8Array;
  readonly headers: WebhookHeaders;
}

/** The HMAC key of a Standard Webhooks secret: the base64 after `whsec_` (a bare base64 key is accepted too). */
export function webhookSecretKey(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length === 0) throw new TypeError('webhook secret is empty: expected "whsec_" followed by a base64 key');
  return key;
}

function digest(key: Buffer, id: string, timestamp: string, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

/** Signs one ops webhook delivery; nothing is sent. */
export function signOpsWebhook(opts: SignOpsWebhookOptions): SignedOpsWebhook {
  const id = opts.id ?? `msg_${randomUUID()}`;
  const timestamp = toSeconds(opts.timestamp ?? new Date());
  const body = typeof opts.body === 'string' || opts.body instanceof Uint8Array ? opts.body : JSON.stringify(opts.body);
  const secrets = typeof opts.secret === 'string' ? [opts.secret] : opts.secret;
  if (secrets.length === 0) throw new TypeError('signOpsWebhook needs at least one secret');
  if (id.length === 0) throw new TypeError('webhook id must not be empty');
  const signature = secrets.map((secret) => `v1,${digest(webhookSecretKey(secret), id, String(timestamp), body).toString('base64')}`).join(' ');
  return {
    id,
    timestamp,
    signature,
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    },
  };
}

export interface SendOpsWebhookOptions extends SignOpsWebhookOptions {
  /** The gateway's origin, e.g. `https://ledgerport.example.com` (the delivery goes to `/webhooks/ops`). */
  baseUrl: string;
  /** A fetch implementation (default the global one). */
  fetch?: (request: Request) => Promise<Response>;
  /** Aborts the delivery. */
  signal?: AbortSignal;
}

/**
 * Signs and sends one delivery to `POST /webhooks/ops`. Resolves with openapi-fetch's
 * `{ data, error, response }` typed by openapi.yaml (`data`: 202 accepted, or 200 duplicate /
 * ignored; `error`: the error envelope of a 400, 401, 413 or 500), plus the signed delivery
 * (`webhook.id` to redeliver). Rejects only when the request could not be made.
 */
export async function sendOpsWebhook(opts: SendOpsWebhookOptions) {
  const webhook = signOpsWebhook(opts);
  const client = createClient<paths>({ baseUrl: opts.baseUrl, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  const result = await client.POST('/webhooks/ops', {
    params: {
      header: {
        'webhook-id': webhook.headers['webhook-id'],
        'webhook-timestamp': webhook.headers['webhook-timestamp'],
        'webhook-signature': webhook.headers['webhook-signature'],
      },
    },
    headers: { 'content-type': 'application/json' },
    // The signature covers these exact bytes: send them as signed, never re-serialised.
    body: webhook.body as unknown as OpsWebhookEvent,
    bodySerializer: () => webhook.body,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { ...result, webhook };
}

export type WebhookVerification =
  | { ok: true }
  | {
      ok: false;
      code: 'missing_webhook_headers' | 'invalid_webhook_timestamp' | 'stale_webhook_timestamp' | 'invalid_webhook_signature';
      message: string;
    };

/**
 * Verifies a Standard Webhooks delivery the way the gateway does: for the platform's side of
 * Ledgerport's outbound change-feed webhooks, or to check a signature. `body` must be the raw
 * bytes received, not re-serialised JSON.
 */
export function verifyWebhook(opts: {
  secret: string | readonly string[];
  headers: Headers | Record<string, string | undefined>;
  body: string | Uint8Array;
  now?: number | Date;
  toleranceSeconds?: number;
}): WebhookVerification {
  const header = (name: string) =>
    opts.headers instanceof Headers ? (opts.headers.get(name) ?? undefined) : (opts.headers[name] ?? opts.headers[name.toLowerCase()]);
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signature = header('webhook-signature');
  if (!id || !timestamp || !signature) {
    const missing = [!id && 'webhook-id', !timestamp && 'webhook-timestamp', !signature && 'webhook-signature'].filter(Boolean);
    return { ok: false, code: 'missing_webhook_headers', message: `missing header(s): ${missing.join(', ')}` };
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return { ok: false, code: 'invalid_webhook_timestamp', message: 'webhook-timestamp must be whole seconds since the epoch' };
  }
  const tolerance = opts.toleranceSeconds ?? 5 * 60;
  const skew = toSeconds(opts.now ?? new Date()) - Number(timestamp);
  if (Math.abs(skew) > tolerance) {
    return { ok: false, code: 'stale_webhook_timestamp', message: `webhook-timestamp is ${Math.abs(skew)}s off; at most ${tolerance}s allowed` };
  }
  const offered = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  const secrets = typeof opts.secret === 'string' ? [opts.secret] : opts.secret;
  for (const secret of secrets) {
    const expected = digest(webhookSecretKey(secret), id, timestamp, opts.body);
    if (offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) return { ok: true };
  }
  return { ok: false, code: 'invalid_webhook_signature', message: 'no webhook-signature entry matches the secret' };
}

function toSeconds(at: number | Date): number {
  const seconds = at instanceof Date ? Math.floor(at.getTime() / 1000) : at;
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new TypeError('webhook timestamp must be whole seconds since the epoch');
  return seconds;
}
