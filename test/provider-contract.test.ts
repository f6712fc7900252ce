import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../src/connections/session.ts';
import type { TokenSet } from '../src/providers/types.ts';
import { requestedBill, shippedInvoice } from './helpers/harness.ts';
import { quickBooksFixture, xeroFixture, type ProviderFixture } from './helpers/providers.ts';

/**
 * The provider contract: what every provider must do, run against each through its sandbox.
 * A provider that plugs into the gateway passes this suite unchanged.
 */
describe.each([
  ['xero', xeroFixture],
  ['quickbooks', quickBooksFixture],
] as const)('provider contract: %s', (_name, start) => {
  let p: ProviderFixture;
  beforeAll(async () => {
    p = await start();
  });
  afterAll(async () => {
    await p.close();
  });

  const doc = (id: string) => p.h.database.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  async function setup(tenantId: string) {
    const { token, orgId } = await p.connect(tenantId);
    const res = await p.h.request('PUT', `/v1/tenants/${tenantId}/defaults`, { token, body: p.defaults });
    if (res.status !== 200) throw new Error(`defaults refused: ${res.text}`);
    return { token, orgId };
  }
  async function runPushNow(tenantId: string) {
    const { sql } = await import('kysely');
    await sql`update graphile_worker._private_jobs set run_at = now() where payload->>'tenant_id' = ${tenantId}`.execute(p.h.database.db);
    await p.h.runJobs();
  }
  const numbered = (tenantId: string, id: string, n: string) => {
    const event = shippedInvoice({ tenantId, id }) as { data: { invoice: Record<string, unknown> } };
    event.data.invoice.number = n;
    return event;
  };

  it('pushes a sales invoice and a supplier bill once each, with the provider’s ids', async () => {
    const { token, orgId } = await setup('t_push');
    const invoice = await p.h.sendOps(numbered('t_push', 'inv_1', 'INV-1'));
    const bill = await p.h.sendOps(requestedBill({ tenantId: 't_push' }));
    await p.h.runJobs();
    for (const id of [invoice.body.document_id, bill.body.document_id]) expect(await doc(id)).toMatchObject({ status: 'synced', provider_id: expect.any(String) });
    expect(p.documents(orgId).map((d) => `${d.kind}:${d.number}`).sort()).toEqual(['sales_invoice:INV-1', 'supplier_bill:SUP-88']);
    const connection = await p.h.request('GET', '/v1/tenants/t_push/connection', { token });
    expect(connection.body).toMatchObject({ provider: p.name, status: 'connected' });
  });

  it('a write applied at the provider whose answer is lost is settled by replaying its key, never created twice', async () => {
    const { orgId } = await setup('t_drop');
    p.dropNextWrite();
    const res = await p.h.sendOps(numbered('t_drop', 'inv_drop', 'INV-DROP'));
    await p.h.runJobs();
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'uncertain' });
    await runPushNow('t_drop');
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'synced' });
    expect(p.documents(orgId).filter((d) => d.number === 'INV-DROP')).toHaveLength(1);
    const keys = p.createRequests(orgId).map((r) => r.key);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it('a 5xx leaves the outcome unknown; the replay creates it exactly once', async () => {
    const { orgId } = await setup('t_500');
    p.failNextWrite(503);
    const res = await p.h.sendOps(numbered('t_500', 'inv_500', 'INV-500'));
    await p.h.runJobs();
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'uncertain' });
    await runPushNow('t_500');
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'synced' });
    expect(p.documents(orgId).filter((d) => d.number === 'INV-500')).toHaveLength(1);
  });

  it('a throttled write waits without spending an attempt', { timeout: 20_000 }, async () => {
    await setup('t_429');
    p.throttleNextWrite();
    const res = await p.h.sendOps(numbered('t_429', 'inv_429', 'INV-429'));
    await p.h.runJobs();
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'queued' });
    await new Promise((resolve) => setTimeout(resolve, p.throttleWaitMs + 100));
    await runPushNow('t_429');
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'synced' });
    const attempts = await p.h.database.db.selectFrom('sync_attempts').select('outcome').where('document_id', '=', res.body.document_id).orderBy('id').execute();
    expect(attempts.map((a) => a.outcome)).toEqual(['deferred', 'synced']);
  });

  it('a duplicated webhook leaves one document at the provider', async () => {
    const { orgId } = await setup('t_dup');
    const event = numbered('t_dup', 'inv_dup', 'INV-DUP');
    await p.h.sendOps(event, { id: 'msg_t_dup' });
    await p.h.sendOps(event, { id: 'msg_t_dup' });
    await p.h.sendOps(event, { id: 'msg_t_dup_again' });
    await p.h.runJobs();
    await p.h.runJobs();
    expect(p.documents(orgId).filter((d) => d.number === 'INV-DUP')).toHaveLength(1);
  });

  it('50 concurrent jobs on an expired token make exactly one refresh call', async () => {
    await setup('t_race');
    const row = await p.h.database.db.selectFrom('connections').select('token_set').where('tenant_id', '=', 't_race').executeTakeFirstOrThrow();
    const cipher = p.h.ctx.services.cipher;
    const tokens = await cipher.decrypt<TokenSet>(row.token_set!);
    await p.h.database.db.updateTable('connections').set({ token_set: await cipher.encrypt({ ...tokens, expiresAt: Date.now() - 1_000 }) }).where('tenant_id', '=', 't_race').execute();
    const before = p.refreshCalls();
    const provider = p.h.ctx.services.providers[p.name]!;
    const results = await Promise.all(Array.from({ length: 50 }, async () => (await openSession(p.h.ctx.providerDeps, provider, 't_race')).accessToken()));
    expect(p.refreshCalls() - before).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it('a refused access token is refreshed once and the write retried', async () => {
    const { orgId } = await setup('t_401');
    const before = p.refreshCalls();
    p.expireAccessTokens();
    const res = await p.h.sendOps(numbered('t_401', 'inv_401', 'INV-401'));
    await p.h.runJobs();
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'synced' });
    expect(p.refreshCalls() - before).toBe(1);
    expect(p.documents(orgId).filter((d) => d.number === 'INV-401')).toHaveLength(1);
  });

  it('a revoked refresh token marks the connection needs_reauth and holds documents', async () => {
    const { token } = await setup('t_revoked');
    p.revokeRefreshTokens();
    p.expireAccessTokens();
    const res = await p.h.sendOps(numbered('t_revoked', 'inv_rev', 'INV-REV'));
    await p.h.runJobs();
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'held', status_reason: 'the accounting connection needs to be reauthorised' });
    expect((await p.h.request('GET', '/v1/tenants/t_revoked/connection', { token })).body.status).toBe('needs_reauth');
    const events = (await p.h.request('GET', '/v1/tenants/t_revoked/events', { token })).body.data.map((e: { type: string }) => e.type);
    expect(events).toContain('connection.needs_reauth');
  });

  it('batches many documents into requests no larger than the provider allows', async () => {
    const { orgId } = await setup('t_batch');
    for (let i = 0; i < 70; i++) await p.h.sendOps(numbered('t_batch', `inv_b${i}`, `B-${i}`));
    await p.h.runJobs();
    await p.h.runJobs();
    const synced = await p.h.database.db.selectFrom('documents').select('id').where('tenant_id', '=', 't_batch').where('status', '=', 'synced').execute();
    expect(synced).toHaveLength(70);
    const max = p.h.ctx.services.providers[p.name]!.capabilities.maxDocumentsPerRequest;
    const sizes = p.createRequests(orgId).map((r) => r.count);
    expect(Math.max(...sizes)).toBe(max);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(70);
    expect(new Set(p.createRequests(orgId).map((r) => r.key)).size).toBe(sizes.length);
  });
});
