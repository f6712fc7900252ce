import type { Harness } from './harness.ts';

/** The browser part of the OAuth flow: authorize at Ledgerport, consent at the sandbox, back. */
export async function consentAt(h: Harness, tenantId: string, provider: 'xero' | 'quickbooks', body: Record<string, unknown> = { provider }) {
  const token = await h.token(tenantId);
  const started = await h.request('POST', `/v1/tenants/${tenantId}/connection/authorize`, { token, body });
  if (started.status !== 200) throw new Error(`authorize failed: ${started.status} ${started.text}`);
  const consent = await fetch(started.body.authorize_url, { redirect: 'manual' });
  const location = new URL(consent.headers.get('location') ?? '');
  return { token, started, location, callbackPath: `/oauth/${provider}/callback${location.search}` };
}

/** authorize at Ledgerport → consent at the sandbox → Ledgerport's callback, which must succeed. */
export async function oauthRoundTrip(h: Harness, tenantId: string, provider: 'xero' | 'quickbooks') {
  const { token, callbackPath } = await consentAt(h, tenantId, provider);
  const done = await h.request('GET', callbackPath);
  if (done.status !== 200) throw new Error(`callback failed: ${done.status} ${done.text}`);
  return { token, callback: done.body };
}
