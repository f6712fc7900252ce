import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { signWebhook } from '../security/standard-webhooks.ts';

/** What a platform needs to talk to Ledgerport: signed ops webhooks and bearer-authenticated REST. */
export interface GatewayClient {
  readonly baseUrl: string;
  token(tenantId: string, expiresIn?: string): Promise<string>;
  /** A REST call under /v1 with a bearer token for `tenantId`; any status is returned, not thrown. */
  api<T = unknown>(tenantId: string, method: string, path: string, body?: unknown): Promise<JsonResponse<T>>;
  /** One Standard Webhooks delivery; `id` defaults to a fresh webhook-id (reuse it to redeliver). */
  sendWebhook(event: unknown, id?: string): Promise<JsonResponse<WebhookAnswer> & { readonly webhookId: string }>;
}

/** The body is whatever JSON came back, typed as the caller expects (checked by the status). */
export interface JsonResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export interface WebhookAnswer {
  readonly document_id?: string;
  readonly status?: string;
  readonly duplicate?: boolean;
  readonly error?: { code: string; message: string };
}

async function readJson<T>(res: Response): Promise<T> {
  const text = await res.text();
  try {
    return (text ? JSON.parse(text) : null) as T;
  } catch {
    return text as T;
  }
}

export function createGatewayClient(opts: { baseUrl: string; opsSecret: string; jwtSecret: string }): GatewayClient {
  const key = new TextEncoder().encode(opts.jwtSecret);
  const tokens = new Map<string, string>();
  const token = (tenantId: string, expiresIn = '1h') =>
    new SignJWT({ tenant_id: tenantId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('ledgerport-demo')
      .setIssuedAt()
      .setExpirationTime(expiresIn)
      .sign(key);
  return {
    baseUrl: opts.baseUrl,
    token,
    async api<T>(tenantId: string, method: string, path: string, body?: unknown): Promise<JsonResponse<T>> {
      let bearer = tokens.get(tenantId);
      if (!bearer) tokens.set(tenantId, (bearer = await token(tenantId)));
      const res = await fetch(`${opts.baseUrl}/v1/tenants/${encodeURIComponent(tenantId)}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await readJson<T>(res) };
    },
    async sendWebhook(event, id = `msg_${randomUUID()}`) {
      const raw = JSON.stringify(event);
      const timestamp = Math.floor(Date.now() / 1000);
      const res = await fetch(`${opts.baseUrl}/webhooks/ops`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(opts.opsSecret, id, timestamp, raw),
        },
        body: raw,
      });
      return { status: res.status, body: await readJson<WebhookAnswer>(res), webhookId: id };
    },
  };
}
