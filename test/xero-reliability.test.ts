import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSession } from '../src/connections/session.ts';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import type { TokenSet } from '../src/providers/types.ts';
import type { Harness } from './helpers/harness.ts';
import { shippedInvoice } from './helpers/harness.ts';
import { connectXero, startXeroHarness } from './helpers/xero.ts';

let h: Harness;
let sb: XeroSandbox;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ h, sb, close } = await startXeroHarness());
});
afterAll(async () => {
  await close();
});
beforeEach(() => sb.reset());

const doc = (id: string) => h.database.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const creates = () => sb.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/Invoices'));
const refreshes = () => sb.tokenRequests.filter((t) => t.grant_type === 'refresh_token');
const attempts = (id: string) => h.database.db.selectFrom('sync_attempts').select(['outcome', 'provider_errors']).where('document_id', '=', id).orderBy('id').execute();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function setup(tenantId: string) {
  const { org, token } = await connectXero(h, sb, tenantId, `Org ${tenantId}`);
  await h.request('PUT', `/v1/tenants/${tenantId}/defaults`, { token, body: { sales_invoice_account: '200', purchase_bill_account: '300' } });
  return { org, token };
}
async function shipAndRun(tenantId: string, id: string) {
  const res = await h.sendOps(shippedInvoice({ tenantId, id }));
  await h.runJobs(); // route
  await h.runJobs(); // push
  return res.body.document_id as string;
}

describe('never twice', () => {
  it('a write applied at Xero whose response is lost is settled by replaying its key, not created again', async () => {
    const { org } = await setup('org_drop');
    sb.dropAfterWrite(1, { path: /Invoices/ });
    const id = await shipAndRun('org_drop', 'inv_drop');
    expect(await doc(id)).toMatchObject({ status: 'uncertain' });
    expect(sb.invoices(org.OrganisationID)).toHaveLength(1);

    await runPushNow('org_drop');
    expect(await doc(id)).toMatchObject({ status: 'synced' });
    expect(sb.invoices(org.OrganisationID)).toHaveLength(1);
    const keys = creates().map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it('a 5xx leaves the document uncertain; the replay creates it exactly once', async () => {
    const { org } = await setup('org_500');
    sb.failNext(1, { status: 503, path: /Invoices/ });
    const id = await shipAndRun('org_500', 'inv_500');
    expect(await doc(id)).toMatchObject({ status: 'uncertain' });
    await runPushNow('org_500');
    expect(await doc(id)).toMatchObject({ status: 'synced' });
    expect(sb.invoices(org.OrganisationID)).toHaveLength(1);
    expect((await attempts(id)).map((a) => a.outcome)).toEqual(['uncertain', 'synced']);
  });

  it('a duplicated webhook leaves one invoice', async () => {
    const { org } = await setup('org_dupwh');
    const event = shippedInvoice({ tenantId: 'org_dupwh', id: 'inv_dupwh' });
    await h.sendOps(event, { id: 'msg_dupwh' });
    await h.sendOps(event, { id: 'msg_dupwh' });
    await h.sendOps(event, { id: 'msg_dupwh_other_delivery' });
    await h.runJobs();
    await h.runJobs();
    await h.runJobs();
    expect(sb.invoices(org.OrganisationID)).toHaveLength(1);
  });
});

describe('outcomes', () => {
  it("validation failures are failed with Xero's own messages, and can be retried over the API", async () => {
    const { token } = await setup('org_invalid');
    // Xero refuses a second sales invoice with the same number.
    await shipAndRun('org_invalid', 'inv_first');
    const id = await shipAndRun('org_invalid', 'inv_same_number');
    const failed = await doc(id);
    expect(failed.status).toBe('failed');
    expect(failed.status_reason).toContain('Invoice # must be unique.');
    const detail = await h.request('GET', `/v1/tenants/org_invalid/documents/${id}`, { token });
    expect(detail.body.last_error.provider_errors[0].message).toContain('Invoice # must be unique.');
    expect(detail.body.attempts).toEqual([expect.objectContaining({ outcome: 'failed' })]);

    const retry = await h.request('POST', `/v1/tenants/org_invalid/documents/${id}/retry`, { token, headers: { 'idempotency-key': 'retry-1' } });
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual({ document_id: id, status: 'queued' });
    const again = await h.request('POST', `/v1/tenants/org_invalid/documents/${id}/retry`, { token, headers: { 'idempotency-key': 'retry-1' } });
    expect(again.status).toBe(202);
    const notFailed = await h.request('POST', `/v1/tenants/org_invalid/documents/${id}/retry`, { token });
    expect(notFailed.status).toBe(409);
    expect(notFailed.body.error.code).toBe('not_failed');
    // The retry keeps the snapshot it was first queued with, so it fails the same way, with a new key.
    await h.runJobs();
    expect(await doc(id)).toMatchObject({ status: 'failed', defaults_version: 1 });
    const keys = creates().filter((r) => (r.body as { Invoices: { InvoiceNumber: string }[] }).Invoices.length === 1).map((r) => r.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(keys.length);
    const runs = await h.request('GET', '/v1/tenants/org_invalid/sync-runs?kind=push', { token });
    expect(runs.body.data[0]).toMatchObject({ kind: 'push', trigger: 'manual', status: 'succeeded', counts: { total: 1, failed: 1 } });
    const run = await h.request('GET', `/v1/tenants/org_invalid/sync-runs/${runs.body.data[0].id}`, { token });
    expect(run.body.items).toEqual([expect.objectContaining({ item_id: id, outcome: 'failed', message: expect.stringContaining('Invoice # must be unique.') })]);
  });

  it('a refused access token is refreshed once and the call retried', async () => {
    const { org } = await setup('org_401');
    sb.expireAccessTokens();
    const id = await shipAndRun('org_401', 'inv_401');
    expect(await doc(id)).toMatchObject({ status: 'synced' });
    expect(refreshes()).toHaveLength(1);
    expect(sb.invoices(org.OrganisationID)).toHaveLength(1);
  });

  it('a revoked refresh token marks the connection needs_reauth and holds documents until reconnected', async () => {
    const { token } = await setup('org_revoked');
    sb.revokeRefreshTokens();
    sb.expireAccessTokens();
    const id = await shipAndRun('org_revoked', 'inv_revoked');
    expect(await doc(id)).toMatchObject({ status: 'held', status_reason: 'the accounting connection needs to be reauthorised' });
    const connection = await h.request('GET', '/v1/tenants/org_revoked/connection', { token });
    expect(connection.body).toMatchObject({ status: 'needs_reauth' });

    // Reconnecting releases the held document, which is then pushed.
    const { connectXero: reconnect } = await import('./helpers/xero.ts');
    await reconnect(h, sb, 'org_revoked', 'Org org_revoked again');
    await h.runJobs();
    await h.runJobs();
    expect(await doc(id)).toMatchObject({ status: 'synced' });
  });

  it('429 waits for Retry-After without spending an attempt', async () => {
    const { org } = await setup('org_429');
    sb.force429(1, { retryAfterSeconds: 1, problem: 'minute', path: /Invoices/ });
    const id = await shipAndRun('org_429', 'inv_429');
    expect(await doc(id)).toMatchObject({ status: 'queued' });
    expect((await attempts(id)).map((a) => a.outcome)).toEqual(['deferred']);
    const usage = await import('../src/providers/rate-governor.ts');
    const governor = usage.createRateGovernor(h.database.db);
    expect((await governor.usage(`xero:org:${org.OrganisationID}`)).blockedUntil).not.toBeNull();
    await sleep(1_100);
    await runPushNow('org_429');
    expect(await doc(id)).toMatchObject({ status: 'synced' });
    expect((await attempts(id)).map((a) => a.outcome)).toEqual(['deferred', 'synced']);
  });
});

describe('tokens', () => {
  it('50 concurrent jobs on an expired token make exactly one refresh call', async () => {
    await setup('org_race');
    const row = await h.database.db.selectFrom('connections').select('token_set').where('tenant_id', '=', 'org_race').executeTakeFirstOrThrow();
    const cipher = h.ctx.services.cipher;
    const tokens = await cipher.decrypt<TokenSet>(row.token_set!);
    await h.database.db.updateTable('connections').set({ token_set: await cipher.encrypt({ ...tokens, expiresAt: Date.now() - 1000 }) }).where('tenant_id', '=', 'org_race').execute();
    const before = refreshes().length;
    const provider = h.ctx.services.providers.xero!;
    const deps = { ...h.ctx.providerDeps, db: h.database.db };
    const results = await Promise.all(Array.from({ length: 50 }, async () => (await openSession(deps, provider, 'org_race')).accessToken()));
    expect(refreshes().length - before).toBe(1);
    expect(new Set(results).size).toBe(1);
    const stored = await h.database.db.selectFrom('connections').select(['token_set', 'token_version']).where('tenant_id', '=', 'org_race').executeTakeFirstOrThrow();
    expect((await cipher.decrypt<TokenSet>(stored.token_set!)).accessToken).toBe(results[0]);
  });

  it('stores tokens only as JWE', async () => {
    await setup('org_jwe');
    const row = await h.database.db.selectFrom('connections').select('token_set').where('tenant_id', '=', 'org_jwe').executeTakeFirstOrThrow();
    expect(row.token_set!.split('.')).toHaveLength(5);
    const tokens = await h.ctx.services.cipher.decrypt<TokenSet>(row.token_set!);
    expect(row.token_set).not.toContain(tokens.accessToken);
    expect(h.logs.text).not.toContain(tokens.accessToken);
    expect(h.logs.text).not.toContain(tokens.refreshToken);
  });
});

/** Runs the tenant's push job now, whatever its scheduled time (backoff is tested elsewhere). */
async function runPushNow(tenantId: string) {
  const { sql } = await import('kysely');
  await sql`update graphile_worker._private_jobs set run_at = now() where payload->>'tenant_id' = ${tenantId}`.execute(h.database.db);
  await h.runJobs();
}
