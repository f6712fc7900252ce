import { startXeroSandbox, type XeroSandbox } from '../../src/sandbox/xero/index.ts';
import { startHarness, type Harness } from './harness.ts';

export const CALLBACK = 'http://127.0.0.1:8080/oauth/xero/callback';

/** A harness whose XERO_* settings point at a fresh loopback Xero sandbox. */
export async function startXeroHarness(opts: { env?: Record<string, string>; sandbox?: Parameters<typeof startXeroSandbox>[0] } = {}): Promise<{ h: Harness; sb: XeroSandbox; close: () => Promise<void> }> {
  const sb = await startXeroSandbox({ host: '127.0.0.1', ...opts.sandbox });
  const h = await startHarness({
    env: {
      XERO_CLIENT_ID: sb.clientId,
      XERO_CLIENT_SECRET: sb.clientSecret,
      XERO_REDIRECT_URI: CALLBACK,
      XERO_API_URL: sb.apiUrl,
      XERO_IDENTITY_URL: sb.identityUrl,
      XERO_LOGIN_URL: sb.loginUrl,
      ...opts.env,
    },
  });
  return { h, sb, close: async () => { await h.close(); await sb.close(); } };
}

/** Runs the browser part of the OAuth flow: authorize at Ledgerport, consent at the sandbox, come back. */
export async function consentAtSandbox(h: Harness, tenantId: string, body: Record<string, unknown> = { provider: 'xero' }) {
  const token = await h.token(tenantId);
  const started = await h.request('POST', `/v1/tenants/${tenantId}/connection/authorize`, { token, body });
  if (started.status !== 200) throw new Error(`authorize failed: ${started.status} ${started.text}`);
  const res = await fetch(started.body.authorize_url, { redirect: 'manual' });
  const location = new URL(res.headers.get('location') ?? '');
  return { token, started, location, callbackPath: `/oauth/xero/callback${location.search}` };
}

/** Connects a tenant to one sandbox organisation through the real flow. */
export async function connectXero(h: Harness, sb: XeroSandbox, tenantId: string, orgName = 'Demo UK') {
  const org = sb.addOrganisation({ name: orgName, region: 'UK' });
  sb.setConsent({ organisations: [org.OrganisationID] });
  const { token, callbackPath } = await consentAtSandbox(h, tenantId);
  const done = await h.request('GET', callbackPath);
  if (done.status !== 200) throw new Error(`callback failed: ${done.status} ${done.text}`);
  return { org, token };
}
