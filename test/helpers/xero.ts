import { startXeroSandbox, type XeroSandbox } from '../../src/sandbox/xero/index.ts';
import { startHarness, type Harness } from './harness.ts';
import { consentAt, oauthRoundTrip } from './oauth.ts';

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

/** Runs the browser part of the OAuth flow against the Xero sandbox, stopping before the callback. */
export const consentAtSandbox = (h: Harness, tenantId: string, body: Record<string, unknown> = { provider: 'xero' }) => consentAt(h, tenantId, 'xero', body);

/** Connects a tenant to one sandbox organisation through the real flow. */
export async function connectXero(h: Harness, sb: XeroSandbox, tenantId: string, orgName = 'Demo UK') {
  const org = sb.addOrganisation({ name: orgName, region: 'UK' });
  sb.setConsent({ organisations: [org.OrganisationID] });
  const { token } = await oauthRoundTrip(h, tenantId, 'xero');
  return { org, token };
}
