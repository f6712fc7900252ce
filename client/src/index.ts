/**
 * @ledgerport/client: a typed client for the Ledgerport API.
 *
 * - createLedgerportClient: openapi-fetch typed by `schema.ts`, which openapi-typescript
 *   generates from openapi.yaml (`npm run client:generate`), with bearer auth.
 * - signOpsWebhook / sendOpsWebhook: Standard Webhooks signing of ops webhooks (node:crypto).
 * - verifyWebhook: checks a Standard Webhooks signature (Ledgerport's outbound webhooks).
 */
import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.ts';

export type { components, operations, paths } from './schema.ts';
export {
  sendOpsWebhook,
  signOpsWebhook,
  verifyWebhook,
  webhookSecretKey,
  type OpsWebhookEvent,
  type SendOpsWebhookOptions,
  type SignOpsWebhookOptions,
  type SignedOpsWebhook,
  type WebhookHeaders,
  type WebhookVerification,
} from './webhooks.ts';

/** Every named schema of openapi.yaml, e.g. `Schemas['DocumentDetail']`. */
export type Schemas = components['schemas'];
/** `{ error: { code, message, details?, request_id } }`: the body of every error response. */
export type ErrorEnvelope = components['schemas']['ErrorEnvelope'];
export type DocumentSummary = components['schemas']['DocumentSummary'];
export type DocumentDetail = components['schemas']['DocumentDetail'];

export type LedgerportClient = Client<paths, 'application/json'>;

/** A bearer JWT, or a function that returns one (called for every request: refresh it there). */
export type TokenSource = string | (() => string | Promise<string>);

export interface LedgerportClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** The gateway's origin, e.g. `https://ledgerport.example.com` (paths start with `/v1/…`). */
  baseUrl: string;
  /** A JWT whose `tenant_id` claim is the tenant acted for, or `"*"` for a platform admin. */
  token: TokenSource;
}

/**
 * An openapi-fetch client for Ledgerport: every path, parameter, body and response is typed from
 * openapi.yaml. Calls resolve with `{ data, error, response }`; `error` is the typed error
 * envelope of a non-2xx answer, and nothing is thrown for HTTP errors.
 *
 *   const ledgerport = createLedgerportClient({ baseUrl, token });
 *   const { data, error } = await ledgerport.GET('/v1/tenants/{tenant_id}/documents', {
 *     params: { path: { tenant_id: 'org_123' }, query: { status: 'failed' } },
 *   });
 */
export function createLedgerportClient(opts: LedgerportClientOptions): LedgerportClient {
  const { token, ...options } = opts;
  const client = createClient<paths>(options);
  client.use(bearerAuth(token));
  return client;
}

/**
 * Sets `Authorization: Bearer <token>` on requests to the REST API (`/v1/…`) that do not carry
 * one already; the webhooks, OAuth callback and probes take no bearer token, so none is sent there.
 */
export function bearerAuth(token: TokenSource): Middleware {
  return {
    async onRequest({ request, schemaPath }) {
      if (!schemaPath.startsWith('/v1/') || request.headers.has('authorization')) return undefined;
      const value = typeof token === 'function' ? await token() : token;
      request.headers.set('authorization', `Bearer ${value}`);
      return request;
    },
  };
}
