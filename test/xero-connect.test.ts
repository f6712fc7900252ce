import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import type { Harness } from './helpers/harness.ts';
import { shippedInvoice } from './helpers/harness.ts';
import { connectXero, consentAtSandbox, startXeroHarness } from './helpers/xero.ts';

let h: Harness;
let sb: XeroSandbox;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ h, sb, close } = await startXeroHarness());
});
afterAll(async () => {
  await close();
});

const connectionRow = (tenantId: string) => h.database.db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();

describe('connecting a Xero organisation', () => {
  it('authorize returns Xero’s consent URL with PKCE and a sealed state', async () => {
    const token = await h.token('org_auth');
    const res = await h.request('POST', '/v1/tenants/org_auth/connection/authorize', { token, body: { provider: 'xero' } });
    expect(res.status).toBe(200);
    const url = new URL(res.body.authorize_url);
    expect(`${url.origin}${url.pathname}`).toBe(`${sb.loginUrl}/identity/connect/authorize`);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('scope')).toContain('offline_access');
    expect(url.searchParams.get('state')!.split('.')).toHaveLength(5);
    expect(Date.parse(res.body.expires_at)).toBeGreaterThan(Date.now());
  });

  it('one organisation connects at once; the connection never shows a token', async () => {
    const { org, token } = await connectXero(h, sb, 'org_one', 'One Ltd');
    const res = await h.request('GET', '/v1/tenants/org_one/connection', { token });
    expect(res.body).toMatchObject({ provider: 'xero', status: 'connected', organisation: { id: org.OrganisationID, name: 'One Ltd' }, capabilities: { tax_mapping: 'tax_treatment', auto_push_invoices_default: true, max_documents_per_request: 50 } });
    const stored = await connectionRow('org_one');
    const tokens = await h.ctx.services.cipher.decrypt<{ accessToken: string; refreshToken: string }>(stored!.token_set!);
    expect(res.text).not.toContain(stored!.token_set!);
    expect(res.text).not.toContain(tokens.accessToken);
    expect(res.text).not.toContain(tokens.refreshToken);
    expect(Object.keys(res.body)).not.toContain('token_set');
  });

  it('several organisations wait for the tenant to choose one', async () => {
    const a = sb.addOrganisation({ name: 'Alpha', region: 'UK' });
    const b = sb.addOrganisation({ name: 'Beta', region: 'AU' });
    sb.setConsent({ organisations: [a.OrganisationID, b.OrganisationID] });
    const { token, callbackPath } = await consentAtSandbox(h, 'org_multi');
    const done = await h.request('GET', callbackPath);
    expect(done.body).toEqual({ tenant_id: 'org_multi', provider: 'xero', status: 'pending' });
    const pending = await h.request('GET', '/v1/tenants/org_multi/connection', { token });
    expect(pending.body.status).toBe('pending');
    expect(pending.body.organisations_to_choose.map((o: { name: string }) => o.name).sort()).toEqual(['Alpha', 'Beta']);

    const wrong = await h.request('PUT', '/v1/tenants/org_multi/connection', { token, body: { organisation_id: 'nope' } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe('unknown_organisation');
    const chosen = await h.request('PUT', '/v1/tenants/org_multi/connection', { token, body: { organisation_id: b.OrganisationID } });
    expect(chosen.body).toMatchObject({ status: 'connected', organisation: { id: b.OrganisationID, name: 'Beta' }, organisations_to_choose: [] });
    const again = await h.request('PUT', '/v1/tenants/org_multi/connection', { token, body: { organisation_id: a.OrganisationID } });
    expect(again.status).toBe(409);
  });

  it('denied consent is a clear error and changes no connection', async () => {
    sb.setConsent({ deny: true });
    const { callbackPath } = await consentAtSandbox(h, 'org_denied');
    const res = await h.request('GET', callbackPath);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('consent_denied');
    expect(await connectionRow('org_denied')).toBeUndefined();
  });

  it('a bad or missing state is refused before anything else', async () => {
    const forged = await h.request('GET', '/oauth/xero/callback?code=abc&state=forged');
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('invalid_state');
    expect((await h.request('GET', '/oauth/xero/callback?code=abc')).body.error.code).toBe('invalid_state');
  });

  it('an expired state is refused', async () => {
    const org = sb.addOrganisation({ name: 'Late Ltd', region: 'UK' });
    sb.setConsent({ organisations: [org.OrganisationID] });
    const { callbackPath } = await consentAtSandbox(h, 'org_late');
    const late = new Date(Date.now() + 11 * 60_000);
    const { openState } = await import('../src/connections/oauth-state.ts');
    const state = new URL(`http://x${callbackPath}`).searchParams.get('state')!;
    expect(await openState(h.ctx.services.cipher, state, late)).toEqual({ ok: false, code: 'expired_state' });
  });

  it('a failed code exchange is a 502 and changes no connection', async () => {
    const org = sb.addOrganisation({ name: 'Broken Ltd', region: 'UK' });
    sb.setConsent({ organisations: [org.OrganisationID] });
    const { callbackPath } = await consentAtSandbox(h, 'org_exchange');
    sb.failNext(1, { status: 500, path: /connect\/token/ });
    const res = await h.request('GET', callbackPath);
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('exchange_failed');
    expect(await connectionRow('org_exchange')).toBeUndefined();
  });

  it('redirects to the return_url with the outcome', async () => {
    const org = sb.addOrganisation({ name: 'Return Ltd', region: 'UK' });
    sb.setConsent({ organisations: [org.OrganisationID] });
    const { callbackPath } = await consentAtSandbox(h, 'org_return', { provider: 'xero', return_url: 'https://platform.example/settings/accounting' });
    const res = await h.request('GET', callbackPath);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://platform.example/settings/accounting?status=connected&tenant_id=org_return');
  });

  it('refuses a return_url the browser should never be sent to (javascript:, data:, file:)', async () => {
    const token = await h.token('org_return_bad');
    for (const returnUrl of ['javascript:alert(1)', 'data:text/html,hi', 'file:///etc/passwd']) {
      const res = await h.request('POST', '/v1/tenants/org_return_bad/connection/authorize', { token, body: { provider: 'xero', return_url: returnUrl } });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toContainEqual({ path: 'return_url', message: 'must be an http(s) URL' });
    }
  });

  it('connecting releases the tenant’s held documents', async () => {
    const held = await h.sendOps(shippedInvoice({ tenantId: 'org_release', id: 'inv_release' }));
    await h.runJobs();
    expect((await h.database.db.selectFrom('documents').select('status').where('id', '=', held.body.document_id).executeTakeFirstOrThrow()).status).toBe('held');
    const { token } = await connectXero(h, sb, 'org_release', 'Release Ltd');
    await h.request('PUT', '/v1/tenants/org_release/defaults', { token, body: { sales_invoice_account: '200' } });
    await h.runJobs();
    await h.runJobs();
    const after = await h.request('GET', `/v1/tenants/org_release/documents/${held.body.document_id}`, { token });
    expect(after.body.status).toBe('synced');
    expect(after.body.history.map((e: { to_status: string }) => e.to_status)).toEqual(['received', 'held', 'received', 'queued', 'pushing', 'synced']);
  });

  it('DELETE revokes and forgets the tokens; documents then wait as held', async () => {
    const { token } = await connectXero(h, sb, 'org_delete', 'Delete Ltd');
    const revocationsBefore = sb.requests.length;
    const res = await h.request('DELETE', '/v1/tenants/org_delete/connection', { token });
    expect(res.status).toBe(204);
    const row = await connectionRow('org_delete');
    expect(row).toMatchObject({ status: 'disconnected', token_set: null });
    expect(sb.requests.length).toBeGreaterThanOrEqual(revocationsBefore);
    expect((await h.request('DELETE', '/v1/tenants/org_delete/connection', { token })).status).toBe(404);
    const later = await h.sendOps(shippedInvoice({ tenantId: 'org_delete', id: 'inv_after_delete' }));
    await h.runJobs();
    expect((await h.database.db.selectFrom('documents').select('status_reason').where('id', '=', later.body.document_id).executeTakeFirstOrThrow()).status_reason).toBe('the tenant has no accounting connection yet');
  });

  it('422 for a provider this gateway has no credentials for, 400 for an unknown one', async () => {
    const token = await h.token('org_qbo');
    const qbo = await h.request('POST', '/v1/tenants/org_qbo/connection/authorize', { token, body: { provider: 'quickbooks' } });
    expect(qbo.status).toBe(422);
    expect(qbo.body.error.code).toBe('provider_not_configured');
    const unknown = await h.request('POST', '/v1/tenants/org_qbo/connection/authorize', { token, body: { provider: 'sage' } });
    expect(unknown.status).toBe(400);
  });

  it('manual push: with automatic push off an invoice waits held until pushed over the API', async () => {
    const { token } = await connectXero(h, sb, 'org_manual_push', 'Manual Ltd');
    await h.request('PUT', '/v1/tenants/org_manual_push/defaults', { token, body: { sales_invoice_account: '200', auto_push_invoices: false } });
    const res = await h.sendOps(shippedInvoice({ tenantId: 'org_manual_push', id: 'inv_manual' }));
    await h.runJobs();
    const held = await h.request('GET', `/v1/tenants/org_manual_push/documents/${res.body.document_id}`, { token });
    expect(held.body).toMatchObject({ status: 'held', status_reason: expect.stringContaining('manually') });
    const pushed = await h.request('POST', `/v1/tenants/org_manual_push/documents/${res.body.document_id}/push`, { token });
    expect(pushed.status).toBe(202);
    await h.runJobs();
    expect((await h.request('GET', `/v1/tenants/org_manual_push/documents/${res.body.document_id}`, { token })).body.status).toBe('synced');
    const twice = await h.request('POST', `/v1/tenants/org_manual_push/documents/${res.body.document_id}/push`, { token });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('not_pushable');
  });

  it('reconnecting to another organisation forgets the old one’s contact links and cached lists', async () => {
    const { token, org: first } = await connectXero(h, sb, 'org_switch', 'First Ltd');
    await h.request('PUT', '/v1/tenants/org_switch/defaults', { token, body: { sales_invoice_account: '200' } });
    await h.sendOps(shippedInvoice({ tenantId: 'org_switch', id: 'inv_switch_1' }));
    await h.runJobs();
    expect(sb.invoices(first.OrganisationID)).toHaveLength(1);
    const { org: second } = await connectXero(h, sb, 'org_switch', 'Second Ltd');
    expect(await h.database.db.selectFrom('contact_links').selectAll().where('tenant_id', '=', 'org_switch').execute()).toEqual([]);
    const next = await h.sendOps(shippedInvoice({ tenantId: 'org_switch', id: 'inv_switch_2' }));
    await h.runJobs();
    expect((await h.request('GET', `/v1/tenants/org_switch/documents/${next.body.document_id}`, { token })).body.status).toBe('synced');
    expect(sb.invoices(second.OrganisationID)).toHaveLength(1);
  });
});
