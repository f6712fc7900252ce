import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { paymentEvent } from './helpers/events.ts';
import { ENCRYPTION_KEY, JWT_SECRET, OPS_SECRET, requestedBill, shippedInvoice } from './helpers/harness.ts';
import { ageOpenBatches, clockedQuickBooks, clockedXero, runJobsNow, type ClockedFixture } from './helpers/clocked-providers.ts';

/**
 * A write whose outcome is unknown is replayed with its idempotency key only while the provider
 * still keeps that key; an older one is settled by looking the document up by number. The
 * sandboxes forget keys after the provider's window (Xero: 6 minutes), moved past here with
 * their clock, so a blind replay would be a new request there too.
 */
describe.each([
  ['xero', clockedXero],
  ['quickbooks', clockedQuickBooks],
] as const)('expired idempotency keys: %s', (_name, start) => {
  let p: ClockedFixture;
  beforeAll(async () => {
    p = await start();
  });
  afterAll(async () => {
    await p.close();
  });

  const doc = (id: string) => p.h.database.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const history = (id: string) => p.h.database.db.selectFrom('document_events').select(['from_status', 'to_status', 'reason']).where('document_id', '=', id).orderBy('id').execute();
  const attempts = (id: string) => p.h.database.db.selectFrom('sync_attempts').select('outcome').where('document_id', '=', id).orderBy('id').execute();
  async function setup(tenantId: string) {
    const { token, orgId } = await p.connect(tenantId);
    const res = await p.h.request('PUT', `/v1/tenants/${tenantId}/defaults`, { token, body: p.defaults() });
    if (res.status !== 200) throw new Error(`defaults refused: ${res.text}`);
    return { token, orgId };
  }
  const numbered = (tenantId: string, id: string, n: string) => {
    const event = shippedInvoice({ tenantId, id }) as { data: { invoice: Record<string, unknown> } };
    event.data.invoice.number = n;
    return event;
  };
  /** Past the sandbox's window for keys, and Ledgerport's (its batches aged as much). */
  async function letKeysExpire(tenantId: string) {
    const ms = p.windowMs + 60_000;
    p.advance(ms);
    await ageOpenBatches(p.h, tenantId, ms);
  }

  it('a write applied at the provider whose answer was lost, older than the key window, is found by number and not sent again', async () => {
    const { orgId } = await setup('t_exp_found');
    p.dropNextWrite();
    const res = await p.h.sendOps(numbered('t_exp_found', 'inv_found', 'INV-FOUND'));
    await p.h.runJobs();
    const id = res.body.document_id as string;
    expect(await doc(id)).toMatchObject({ status: 'uncertain' });
    const atProvider = p.documents(orgId).filter((d) => d.number === 'INV-FOUND');
    expect(atProvider).toHaveLength(1);

    await letKeysExpire('t_exp_found');
    const before = p.requestCount();
    await runJobsNow(p.h, 't_exp_found');

    expect(await doc(id)).toMatchObject({ status: 'synced', provider_id: atProvider[0]!.id, provider_number: 'INV-FOUND' });
    expect(p.documents(orgId).filter((d) => d.number === 'INV-FOUND')).toHaveLength(1);
    // Looked up, never replayed: one create request in all, and only reads since the key expired.
    expect(p.createRequests(orgId)).toHaveLength(1);
    expect(p.callsSince(orgId, before).every((c) => c.method === 'GET')).toBe(true);
    const synced = (await history(id)).at(-1)!;
    expect(synced).toMatchObject({ from_status: 'uncertain', to_status: 'synced' });
    expect(synced.reason).toContain('found at the provider by number INV-FOUND');
    expect(synced.reason).toContain('looked up, not replayed');
    expect((await attempts(id)).map((a) => a.outcome)).toEqual(['uncertain', 'synced']);
    const events = await p.h.database.db.selectFrom('outbound_events').select(['type', 'data']).where('tenant_id', '=', 't_exp_found').execute();
    expect(events.filter((e) => e.type === 'document.synced').map((e) => e.data.document_id)).toEqual([id]);
  });

  it('a write the provider never applied, older than the key window, is sent again with a new key and created once', async () => {
    const { orgId } = await setup('t_exp_new');
    p.failNextWrite(503);
    const res = await p.h.sendOps(numbered('t_exp_new', 'inv_new', 'INV-NEW'));
    await p.h.runJobs();
    const id = res.body.document_id as string;
    expect(await doc(id)).toMatchObject({ status: 'uncertain' });
    expect(p.documents(orgId).filter((d) => d.number === 'INV-NEW')).toHaveLength(0);

    await letKeysExpire('t_exp_new');
    await runJobsNow(p.h, 't_exp_new');

    expect(await doc(id)).toMatchObject({ status: 'synced', provider_number: 'INV-NEW' });
    expect(p.documents(orgId).filter((d) => d.number === 'INV-NEW')).toHaveLength(1);
    const keys = p.createRequests(orgId).map((r) => r.key);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
    const requeued = (await history(id)).find((e) => e.from_status === 'uncertain');
    expect(requeued).toMatchObject({ to_status: 'queued' });
    expect(requeued!.reason).toContain('not at the provider (looked up by number INV-NEW)');
    expect(requeued!.reason).toContain('sent again with a new key');
    expect((await attempts(id)).map((a) => a.outcome)).toEqual(['uncertain', 'deferred', 'synced']);
  });

  it('each document of an expired batch is settled on its own: the one found is synced, the one not there sent again', async () => {
    const { orgId } = await setup('t_exp_mixed');
    const bill = (id: string, number: string) => {
      const event = requestedBill({ tenantId: 't_exp_mixed', id }) as { data: { bill: Record<string, unknown> } };
      event.data.bill.supplier_invoice_number = number;
      return event;
    };
    p.dropNextWrite();
    const a = (await p.h.sendOps(bill('bill_a', 'SUP-A'))).body.document_id as string;
    const b = (await p.h.sendOps(bill('bill_b', 'SUP-B'))).body.document_id as string;
    await p.h.runJobs();
    expect(p.createRequests(orgId)).toEqual([{ key: expect.any(String), count: 2 }]);
    // As if only the first had reached the provider.
    const lost = p.documents(orgId).find((d) => d.number === 'SUP-B')!;
    await p.atProvider.remove('t_exp_mixed', orgId, lost.id, 'supplier_bill');
    const kept = p.documents(orgId).find((d) => d.number === 'SUP-A')!;

    await letKeysExpire('t_exp_mixed');
    await runJobsNow(p.h, 't_exp_mixed');
    expect(await doc(a)).toMatchObject({ status: 'synced', provider_id: kept.id });
    const resent = await doc(b);
    expect(resent).toMatchObject({ status: 'synced' });
    expect(resent.provider_id).not.toBe(lost.id);
    expect(p.documents(orgId).filter((d) => d.kind === 'supplier_bill').map((d) => d.number).sort()).toEqual(['SUP-A', 'SUP-B']);
    const requests = p.createRequests(orgId);
    expect(requests.map((r) => r.count)).toEqual([2, 1]);
    expect(requests[1]!.key).not.toBe(requests[0]!.key);
  });

  it('within the window the same key is replayed and nothing is looked up', async () => {
    const { orgId } = await setup('t_exp_fresh');
    p.dropNextWrite();
    const res = await p.h.sendOps(numbered('t_exp_fresh', 'inv_fresh', 'INV-FRESH'));
    await p.h.runJobs();
    await runJobsNow(p.h, 't_exp_fresh');
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'synced' });
    const keys = p.createRequests(orgId).map((r) => r.key);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect((await history(res.body.document_id)).some((e) => e.reason?.includes('looked up'))).toBe(false);
  });

  it('a payment whose key has expired cannot be looked up by number: failed for a person to check, never sent blindly', async () => {
    const { token, orgId } = await setup('t_exp_pay');
    await p.h.request('PUT', '/v1/tenants/t_exp_pay/defaults', { token, body: { ...p.defaults({ approved: true }), ...p.paymentDefaults } });
    await p.h.sendOps(numbered('t_exp_pay', 'inv_pay', 'INV-PAY'));
    await p.h.runJobs();
    await runJobsNow(p.h, 't_exp_pay');
    p.dropNextPaymentWrite();
    const pay = await p.h.sendOps(paymentEvent('t_exp_pay', 'pay_exp', { amount: '7.00', allocations: [{ invoice_id: 'inv_pay', amount: '7.00' }] }));
    await p.h.runJobs();
    const id = pay.body.document_id as string;
    expect(await doc(id)).toMatchObject({ status: 'uncertain' });
    expect(p.paymentCount(orgId)).toBe(1);

    await letKeysExpire('t_exp_pay');
    await runJobsNow(p.h, 't_exp_pay');
    const failed = await doc(id);
    expect(failed.status).toBe('failed');
    expect(failed.status_reason).toContain('a payment cannot be looked up by number');
    expect(failed.status_reason).toContain('check at the provider before retrying');
    expect(p.paymentCount(orgId)).toBe(1);
  });

  it('why the window matters: replaying a key the provider has forgotten creates the bill a second time', async () => {
    // Ledgerport's batch is not aged, so it still trusts its key; the sandbox (as the provider) has forgotten it.
    const { orgId } = await setup('t_exp_blind');
    p.dropNextWrite();
    const res = await p.h.sendOps(requestedBill({ tenantId: 't_exp_blind', id: 'bill_blind' }));
    await p.h.runJobs();
    expect(await doc(res.body.document_id)).toMatchObject({ status: 'uncertain' });
    p.advance(p.windowMs + 60_000);
    await runJobsNow(p.h, 't_exp_blind');
    expect(p.documents(orgId).filter((d) => d.kind === 'supplier_bill' && d.number === 'SUP-88')).toHaveLength(2);
  });
});

describe('idempotency windows (configuration)', () => {
  const base = { NODE_ENV: 'production', DATABASE_URL: 'postgres://localhost/ledgerport', OPS_WEBHOOK_SECRETS: OPS_SECRET, AUTH_JWT_SECRET: JWT_SECRET, TOKEN_ENCRYPTION_KEYS: ENCRYPTION_KEY };
  it('defaults to 5 minutes for both providers (Xero keeps keys 6 minutes)', () => {
    const config = loadConfig(base);
    expect(config.xero.idempotencyWindowMinutes).toBe(5);
    expect(config.quickbooks.requestIdWindowMinutes).toBe(5);
    expect(loadConfig({ ...base, XERO_IDEMPOTENCY_WINDOW_MINUTES: '0', QBO_REQUESTID_WINDOW_MINUTES: '60' })).toMatchObject({
      xero: { idempotencyWindowMinutes: 0 }, quickbooks: { requestIdWindowMinutes: 60 },
    });
  });
  it('lists a bad window with the other problems', () => {
    let problems: string[] = [];
    try {
      loadConfig({ ...base, XERO_IDEMPOTENCY_WINDOW_MINUTES: 'six', QBO_REQUESTID_WINDOW_MINUTES: '99999', PORT: 'x' });
    } catch (error) {
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^XERO_IDEMPOTENCY_WINDOW_MINUTES: must be a whole number/),
      expect.stringMatching(/^QBO_REQUESTID_WINDOW_MINUTES: must be at most 10080/),
      expect.stringMatching(/^PORT: /),
    ]));
  });
});
