import type { GatewayClient } from './client.ts';
import type { ProviderName } from './provider.ts';

/**
 * Connects a tenant through the real OAuth flow, over HTTP: Ledgerport hands out the authorize
 * URL, the sandbox "user" consents (to whatever organisation the sandbox was told to offer) and
 * redirects back, and the browser's visit to Ledgerport's callback is replayed as one GET.
 */
export async function connectThroughOAuth(client: GatewayClient, tenantId: string, provider: ProviderName): Promise<void> {
  const started = await client.api<{ authorize_url: string }>(tenantId, 'POST', '/connection/authorize', { provider });
  if (started.status !== 200) throw new Error(`POST /connection/authorize answered ${started.status}: ${JSON.stringify(started.body)}`);
  const consent = await fetch(started.body.authorize_url, { redirect: 'manual' });
  const location = consent.headers.get('location');
  if (consent.status !== 302 || !location) throw new Error(`the sandbox's authorize page answered ${consent.status} without a redirect`);
  const callback = new URL(location);
  if (callback.searchParams.has('error')) throw new Error(`the sandbox refused consent: ${callback.searchParams.get('error')}`);
  // The redirect goes to Ledgerport's callback; call it on the gateway we know, whatever host it names.
  const done = await fetch(`${client.baseUrl}${callback.pathname}${callback.search}`, { redirect: 'manual' });
  const body = (await done.json().catch(() => null)) as { status?: string } | null;
  if (done.status !== 200) throw new Error(`the OAuth callback answered ${done.status}: ${JSON.stringify(body)}`);
  const connection = await client.api<{ status?: string; provider?: string } | null>(tenantId, 'GET', '/connection');
  if (connection.body?.status !== 'connected') {
    throw new Error(`the connection is ${connection.body?.status ?? 'missing'} after the OAuth flow: ${JSON.stringify(connection.body)}`);
  }
}
