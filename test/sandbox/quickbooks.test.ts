import { afterEach, describe, expect, it } from 'vitest';
import OAuthClient from 'intuit-oauth';
import { startQuickBooksSandbox } from '../../src/sandbox/quickbooks/index.ts';
import type { QuickBooksSandbox, QuickBooksSandboxOptions } from '../../src/sandbox/quickbooks/index.ts';
import { authorize, client, REDIRECT, token } from '../../src/sandbox/quickbooks/testing.ts';

const open: QuickBooksSandbox[] = [];
async function start(opts: QuickBooksSandboxOptions = {}): Promise<QuickBooksSandbox> {
  const sb = await startQuickBooksSandbox(opts);
  open.push(sb);
  return sb;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((sb) => sb.close()));
});

/** Point intuit-oauth's process-wide static endpoints at the sandbox; returns a restore function. */
function useSandboxEndpoints(sb: QuickBooksSandbox): () => void {
  const saved = {
    authorizeEndpoint: OAuthClient.authorizeEndpoint, tokenEndpoint: OAuthClient.tokenEndpoint,
    revokeEndpoint: OAuthClient.revokeEndpoint, userinfo: OAuthClient.userinfo_endpoint_production,
    jwks: OAuthClient.jwks_uri, environment: OAuthClient.environment,
  };
  OAuthClient.authorizeEndpoint = sb.authorizeUrl;
  OAuthClient.tokenEndpoint = `${sb.oauthUrl}/oauth2/v1/tokens/bearer`;
  OAuthClient.revokeEndpoint = `${sb.oauthUrl}/oauth2/v1/tokens/revoke`;
  OAuthClient.userinfo_endpoint_production = `${sb.oauthUrl}/v1/openid_connect/userinfo`;
  OAuthClient.jwks_uri = `${sb.oauthUrl}/op/v1/jwks`;
  OAuthClient.environment = { sandbox: `${sb.apiUrl}/`, production: `${sb.apiUrl}/` };
  return () => {
    OAuthClient.authorizeEndpoint = saved.authorizeEndpoint;
    OAuthClient.tokenEndpoint = saved.tokenEndpoint;
    OAuthClient.revokeEndpoint = saved.revokeEndpoint;
    OAuthClient.userinfo_endpoint_production = saved.userinfo;
    OAuthClient.jwks_uri = saved.jwks;
    OAuthClient.environment = saved.environment;
  };
}

describe('quickbooks sandbox: OAuth 2 with intuit-oauth', () => {
  it('runs consent → createToken(url) → API call → refresh → revoke through OAuthClient', async () => {
    const sb = await start();
    sb.addCompany({ name: 'Other Co' });
    const co = sb.addCompany({ name: 'Demo US', realmId: '9130000000000001' });
    sb.setConsent({ realmId: co.realmId });
    const restore = useSandboxEndpoints(sb);
    try {
      const oauth = new OAuthClient({ clientId: sb.clientId, clientSecret: sb.clientSecret, environment: 'production', redirectUri: REDIRECT });
      const authUri = oauth.authorizeUri({ scope: [OAuthClient.scopes.Accounting, OAuthClient.scopes.OpenId], state: 'st-42' });
      expect(authUri.startsWith(`${sb.authorizeUrl}?`)).toBe(true);
      const consent = await fetch(authUri, { redirect: 'manual' });
      expect(consent.status).toBe(302);
      const callback = consent.headers.get('location') ?? '';
      const back = new URL(callback);
      expect([back.origin + back.pathname, back.searchParams.get('state'), back.searchParams.get('realmId')]).toEqual([REDIRECT, 'st-42', co.realmId]);

      const created = await oauth.createToken(callback);
      const t = created.getJson();
      expect(t).toMatchObject({ token_type: 'bearer', expires_in: 3600, x_refresh_token_expires_in: 8726400 });
      expect(oauth.getToken().realmId).toBe(co.realmId);
      expect(typeof t.id_token).toBe('string');
      expect(await oauth.validateIdToken()).toBe(true);
      expect((await oauth.getUserInfo()).getJson()).toMatchObject({ email: 'sandbox.user@example.com' });

      // makeApiCall with a relative URL resolves against OAuthClient.environment.
      const info = await oauth.makeApiCall({ url: `v3/company/${co.realmId}/companyinfo/${co.realmId}?minorversion=75` });
      expect(info.json.CompanyInfo).toMatchObject({ CompanyName: 'Demo US', Country: 'US' });

      // The code is single-use.
      await expect(oauth.createToken(callback)).rejects.toMatchObject({ error: 'invalid_grant' });

      const firstRefresh = t.refresh_token as string;
      const refreshed = (await oauth.refresh()).getJson();
      expect(refreshed.refresh_token).not.toBe(firstRefresh);
      expect(refreshed.access_token).not.toBe(t.access_token);

      await oauth.revoke({ refresh_token: refreshed.refresh_token });
      const after = await fetch(`${sb.apiUrl}/v3/company/${co.realmId}/companyinfo/${co.realmId}`, {
        headers: { authorization: `Bearer ${refreshed.access_token}`, accept: 'application/json' },
      });
      expect(after.status).toBe(401);
      expect(sb.tokenRequests.map((r) => [r.grant_type, r.status])).toEqual([
        ['authorization_code', 200], ['authorization_code', 400], ['refresh_token', 200], ['revoke', 200],
      ]);
    } finally {
      restore();
    }
    expect(OAuthClient.tokenEndpoint).toBe('https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer');
  });

  it('redirects with access_denied when consent is denied and validates the request', async () => {
    const sb = await start();
    sb.addCompany({ name: 'Demo' });
    sb.setConsent({ deny: true });
    const denied = await authorize(sb, { state: 'abc' });
    expect(Object.fromEntries(denied.searchParams)).toEqual({ error: 'access_denied', state: 'abc' });
    sb.setConsent({});
    expect((await authorize(sb, { scope: 'bogus.scope' })).searchParams.get('error')).toBe('invalid_scope');
    expect((await fetch(`${sb.authorizeUrl}?client_id=nope&redirect_uri=${REDIRECT}`, { redirect: 'manual' })).status).toBe(400);
    const badClient = await fetch(`${sb.oauthUrl}/oauth2/v1/tokens/bearer`, {
      method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${sb.clientId}:wrong`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=x',
    });
    expect([badClient.status, await badClient.json()]).toEqual([401, { error: 'invalid_client' }]);
  });

  it('expires access tokens after an hour; rotated refresh tokens work for 24 h more, then invalid_grant', async () => {
    let real = Date.UTC(2026, 2, 1);
    const sb = await start({ clock: () => real });
    const co = sb.addCompany({ name: 'Demo' });
    const back = await authorize(sb);
    const code = back.searchParams.get('code') ?? '';
    expect((await token(sb, { grant_type: 'authorization_code', code, redirect_uri: 'http://elsewhere/cb' })).body).toEqual({ error: 'invalid_grant' });
    const t1 = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
    expect(t1.status).toBe(200);
    expect(t1.body.id_token).toBeUndefined();
    const api = client(sb, String(t1.body.access_token), co.realmId);
    expect((await api('GET', '/item/1')).status).toBe(200);

    real += 3600_000;
    const expired = await api('GET', '/item/1');
    expect(expired.status).toBe(401);
    expect(expired.body.Fault).toEqual({
      Error: [expect.objectContaining({ Message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', code: '3200' })],
      type: 'AUTHENTICATION',
    });
    expect(typeof expired.body.time).toBe('string');

    const r1 = String(t1.body.refresh_token);
    const t2 = await token(sb, { grant_type: 'refresh_token', refresh_token: r1 });
    expect(t2.body.refresh_token).not.toBe(r1);
    real += 23 * 3600_000;
    expect((await token(sb, { grant_type: 'refresh_token', refresh_token: r1 })).status).toBe(200);
    real += 2 * 3600_000;
    expect(await token(sb, { grant_type: 'refresh_token', refresh_token: r1 })).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    const t3 = await token(sb, { grant_type: 'refresh_token', refresh_token: String(t2.body.refresh_token) });
    expect(t3.status).toBe(200);

    expect(sb.expireAccessTokens(co.realmId)).toBeGreaterThan(0);
    expect((await client(sb, String(t3.body.access_token), co.realmId)('GET', '/item/1')).status).toBe(401);
    expect(sb.revokeRefreshTokens(co.realmId)).toBeGreaterThan(0);
    expect((await token(sb, { grant_type: 'refresh_token', refresh_token: String(t3.body.refresh_token) })).body.error).toBe('invalid_grant');
  });

  it('scales time: a 1 h token expires after 36 real seconds at timeScale 100', async () => {
    let real = Date.UTC(2026, 2, 1);
    const sb = await start({ clock: () => real, timeScale: 100 });
    const co = sb.addCompany({ name: 'Demo' });
    const t = await sb.grantTokens();
    const api = client(sb, t.access_token, co.realmId);
    real += 35_000;
    expect((await api('GET', '/item/1')).status).toBe(200);
    real += 1_000;
    expect((await api('GET', '/item/1')).status).toBe(401);
  });

  it('answers 403 for a token of another realm', async () => {
    const sb = await start();
    const a = sb.addCompany({ name: 'A' });
    const b = sb.addCompany({ name: 'B' });
    const t = await sb.grantTokens({ realmId: a.realmId });
    expect(t.realmId).toBe(a.realmId);
    const r = await client(sb, t.access_token, b.realmId)('GET', '/item/1');
    expect(r.status).toBe(403);
    expect(r.body.Fault.Error[0].code).toBe('3100');
  });
});
