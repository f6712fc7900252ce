import { afterEach, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startXeroSandbox } from '../../src/sandbox/xero/index.ts';
import type { XeroSandbox, XeroSandboxOptions } from '../../src/sandbox/xero/index.ts';
import { authorize, client, invoice, pkce, REDIRECT, token } from '../../src/sandbox/xero/testing.ts';

const open: XeroSandbox[] = [];
async function start(opts: XeroSandboxOptions = {}): Promise<XeroSandbox> {
  const sb = await startXeroSandbox(opts);
  open.push(sb);
  return sb;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((sb) => sb.close()));
});

async function connected(opts: XeroSandboxOptions = {}) {
  const sb = await start(opts);
  const org = sb.addOrganisation({ name: 'Demo UK', region: 'UK' });
  const tokens = await sb.grantTokens();
  return { sb, org, tokens, api: client(sb, tokens.access_token, org.OrganisationID) };
}

describe('xero sandbox: OAuth 2', () => {
  it('runs the authorization code + PKCE flow like Xero', async () => {
    const sb = await start();
    const a = sb.addOrganisation({ name: 'Org A', region: 'UK' });
    const b = sb.addOrganisation({ name: 'Org B', region: 'AU' });
    sb.addOrganisation({ name: 'Org C', region: 'NZ' });
    sb.setConsent({ organisations: [a.OrganisationID, b.OrganisationID] });

    const disco = await (await fetch(`${sb.identityUrl}/.well-known/openid-configuration`)).json() as Record<string, string>;
    expect(disco.issuer).toBe(sb.identityUrl);
    expect(disco.token_endpoint).toBe(`${sb.identityUrl}/connect/token`);
    expect(disco.authorization_endpoint).toBe(`${sb.loginUrl}/identity/connect/authorize`);

    const { verifier, challenge } = pkce();
    const back = await authorize(sb, { code_challenge: challenge, code_challenge_method: 'S256', state: 'xyz' });
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('xyz');
    const code = back.searchParams.get('code') ?? '';

    const wrong = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: 'nope' });
    expect(wrong).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    const badRedirect = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: 'http://x/cb', code_verifier: verifier });
    expect(badRedirect.body.error).toBe('invalid_grant');

    const ok = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ expires_in: 1800, token_type: 'Bearer', scope: expect.stringContaining('offline_access') });
    expect(typeof ok.body.refresh_token).toBe('string');
    expect(typeof ok.body.id_token).toBe('string');
    const claims = decodeJwt(String(ok.body.access_token));
    expect(claims.authentication_event_id).toBeTypeOf('string');

    const reused = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(reused.body.error).toBe('invalid_grant');
    const badSecret = await fetch(`${sb.identityUrl}/connect/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(ok.body.refresh_token), client_id: sb.clientId, client_secret: 'bad' }),
    });
    expect(await badSecret.json()).toEqual({ error: 'invalid_client' });

    const conns = await (await fetch(`${sb.apiUrl}/connections`, { headers: { authorization: `Bearer ${ok.body.access_token}` } })).json() as Record<string, string>[];
    expect(conns.map((c) => c.tenantName).sort()).toEqual(['Org A', 'Org B']);
    expect(conns[0]).toMatchObject({ tenantType: 'ORGANISATION', authEventId: claims.authentication_event_id });
    expect(conns[0]?.createdDateUtc).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}$/);
    expect(sb.tokenRequests.map((t) => [t.grant_type, t.status])).toContainEqual(['authorization_code', 200]);

    sb.setConsent({ deny: true });
    const denied = await authorize(sb, { state: 's2' });
    expect(Object.fromEntries(denied.searchParams)).toEqual({ error: 'access_denied', state: 's2' });
  });

  it('rotates refresh tokens with a 30 minute grace period, then invalid_grant', async () => {
    let real = 1_700_000_000_000;
    const sb = await start({ clock: () => real, timeScale: 60 });
    sb.addOrganisation({ name: 'Org', region: 'UK' });
    const t0 = await sb.grantTokens();
    const r1 = await token(sb, { grant_type: 'refresh_token', refresh_token: t0.refresh_token ?? '' });
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(t0.refresh_token);

    real += 29 * 1000; // 29 sandbox minutes at ×60
    const grace = await token(sb, { grant_type: 'refresh_token', refresh_token: t0.refresh_token ?? '' });
    expect(grace.status).toBe(200);
    real += 2 * 1000; // 31 minutes after first use
    const late = await token(sb, { grant_type: 'refresh_token', refresh_token: t0.refresh_token ?? '' });
    expect(late).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    const fresh = await token(sb, { grant_type: 'refresh_token', refresh_token: String(r1.body.refresh_token) });
    expect(fresh.status).toBe(200);

    // Access tokens live 1800 sandbox seconds (30 real seconds at ×60).
    const api = client(sb, String(fresh.body.access_token), sb.organisations()[0]?.OrganisationID ?? '');
    expect((await api('GET', '/Organisation')).status).toBe(200);
    real += 30 * 1000;
    const expired = await api('GET', '/Organisation');
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ Title: 'Unauthorized', Status: 401, Detail: expect.stringContaining('TokenExpired') });

    expect(sb.revokeRefreshTokens()).toBeGreaterThan(0);
    const revoked = await token(sb, { grant_type: 'refresh_token', refresh_token: String(fresh.body.refresh_token) });
    expect(revoked.body.error).toBe('invalid_grant');
  });

  it('answers 401/403 like Xero, and honours revocation and DELETE /connections', async () => {
    const { sb, org, tokens, api } = await connected();
    const none = await fetch(`${sb.apiUrl}/api.xro/2.0/Invoices`, { headers: { 'xero-tenant-id': org.OrganisationID } });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ Type: null, Title: 'Unauthorized', Status: 401, Detail: 'AuthenticationUnsuccessful' });
    expect((await client(sb, tokens.access_token, '')('GET', '/Invoices')).status).toBe(403);
    expect((await client(sb, tokens.access_token, crypto.randomUUID())('GET', '/Invoices')).status).toBe(403);
    expect((await api('GET', '/Invoices')).status).toBe(200);

    const auth = { authorization: `Bearer ${tokens.access_token}` };
    const [conn] = await (await fetch(`${sb.apiUrl}/connections`, { headers: auth })).json() as { id: string }[];
    const del = await fetch(`${sb.apiUrl}/connections/${conn?.id}`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(204);
    expect((await api('GET', '/Invoices')).status).toBe(403);

    const t2 = await sb.grantTokens();
    const rev = await fetch(`${sb.identityUrl}/connect/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${sb.clientId}:${sb.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ token: t2.refresh_token ?? '' }),
    });
    expect(rev.status).toBe(200);
    expect((await token(sb, { grant_type: 'refresh_token', refresh_token: t2.refresh_token ?? '' })).body.error).toBe('invalid_grant');
    expect(sb.connections()).toHaveLength(0);
  });
});

describe('xero sandbox: settings', () => {
  it('serves Organisation, Accounts (with where) and TaxRates in Xero shape', async () => {
    const { api, org } = await connected();
    const o = await api('GET', '/Organisation');
    expect(o.body).toMatchObject({ Status: 'OK', Organisations: [{ OrganisationID: org.OrganisationID, BaseCurrency: 'GBP', Version: 'UK' }] });
    expect(o.body.DateTimeUTC).toMatch(/^\/Date\(\d+\+0000\)\/$/);
    const all = await api('GET', '/Accounts');
    const active = await api('GET', `/Accounts?where=${encodeURIComponent('Status=="ACTIVE"')}`);
    expect(all.body.Accounts.some((a: { Status: string }) => a.Status === 'ARCHIVED')).toBe(true);
    expect(active.body.Accounts.length).toBe(all.body.Accounts.length - 1);
    expect(active.body.Accounts.map((a: { Code: string }) => a.Code)).toEqual(expect.arrayContaining(['200', '260', '300', '310', '400', '429']));
    const rates = await api('GET', '/TaxRates');
    expect(rates.body.TaxRates).toContainEqual(expect.objectContaining({
      TaxType: 'OUTPUT2', Name: '20% (VAT on Income)', EffectiveRate: 20, CanApplyToRevenue: true, CanApplyToExpenses: false,
    }));
    const bad = await api('GET', `/Accounts?where=${encodeURIComponent('Nope=="x"')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.Type).toBe('QueryParseException');
  });
});

describe('xero sandbox: where clauses', () => {
  it('supports the Dynamic LINQ subset Ledgerport uses', async () => {
    const { parseWhere } = await import('../../src/sandbox/xero/where.ts');
    const fields = new Set(['Name', 'Type', 'Status', 'Contact', 'EmailAddress', 'Date', 'IsCustomer']);
    const row = { Name: 'Acme', Type: 'ACCREC', Status: 'AUTHORISED', EmailAddress: 'ap@acme.test', IsCustomer: true,
      Contact: { ContactID: 'AB3C1C24-0000-4000-8000-000000000001' }, Date: `/Date(${Date.UTC(2024, 0, 31)}+0000)/` };
    const t = (w: string): boolean => parseWhere(w, fields)(row);
    expect(t('Name=="acme"')).toBe(true);
    expect(t('Type=="ACCREC" AND Status!="PAID"')).toBe(true);
    expect(t('Type=="ACCPAY" || (Status=="AUTHORISED" && IsCustomer==true)')).toBe(true);
    expect(t('Contact.ContactID==Guid("ab3c1c24-0000-4000-8000-000000000001")')).toBe(true);
    expect(t('EmailAddress!=null&&EmailAddress.StartsWith("AP@")')).toBe(true);
    expect(t('Date>=DateTime(2024, 01, 31) AND Date<DateTime(2024,02,01)')).toBe(true);
    expect(t('Name.Contains("zz")')).toBe(false);
    expect(() => parseWhere('Foo=="x"', fields)).toThrow(/No property or field 'Foo'/);
    expect(() => parseWhere('Name==', fields)).toThrow();
  });
});
