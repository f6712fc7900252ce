import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTotal, type TotalsDocument } from '../src/documents/totals.ts';
import { addJobs } from '../src/jobs.ts';
import { requestedBill, shippedInvoice } from './helpers/harness.ts';
import { clockedQuickBooks, clockedXero, runJobsNow, type ClockedFixture } from './helpers/clocked-providers.ts';

/**
 * Reconciliations end to end through the harness, against both sandboxes: documents are pushed,
 * then changed at the provider as a user would (a duplicate bill, a deleted invoice, a new total,
 * a void, an edit), and each difference must be found, with nothing sent to the provider but reads.
 */
describe.each([
  ['xero', clockedXero],
  ['quickbooks', clockedQuickBooks],
] as const)('reconciliations: %s', (_name, start) => {
  let p: ClockedFixture;
  beforeAll(async () => {
    p = await start();
  });
  afterAll(async () => {
    await p.close();
  });

  const doc = (id: string) => p.h.database.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const invoice = (tenantId: string, id: string, number: string) => {
    const event = shippedInvoice({ tenantId, id }) as { data: { invoice: Record<string, unknown> } };
    event.data.invoice.number = number;
    event.data.invoice.reference = `SO-${number}`;
    return event;
  };
  async function push(tenantId: string, token: string, events: unknown[], defaults: Record<string, unknown>) {
    const saved = await p.h.request('PUT', `/v1/tenants/${tenantId}/defaults`, { token, body: defaults });
    if (saved.status !== 200) throw new Error(`defaults refused: ${saved.text}`);
    const ids: string[] = [];
    for (const event of events) ids.push((await p.h.sendOps(event)).body.document_id as string);
    await p.h.runJobs();
    await runJobsNow(p.h, tenantId);
    for (const id of ids) expect(await doc(id)).toMatchObject({ status: 'synced' });
    return ids;
  }
  async function reconcile(tenantId: string, token: string, body: unknown = {}) {
    const started = await p.h.request('POST', `/v1/tenants/${tenantId}/reconciliations`, { token, body });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ status: 'queued', trigger: 'manual', counts: { documents: 0 } });
    await p.h.runJobs();
    const done = await p.h.request('GET', `/v1/tenants/${tenantId}/reconciliations/${started.body.id}?limit=200`, { token });
    expect(done.status).toBe(200);
    return done.body;
  }

  let token: string;
  let orgId: string;
  const tenant = 't_recon';
  const ids: Record<string, string | undefined> = {};

  it('finds duplicates, missing documents, other totals and statuses, and changes made after the push; sends the provider only reads', async () => {
    ({ token, orgId } = await p.connect(tenant));
    // The one to delete goes as a draft (Xero deletes drafts only); the one to void approved (Xero voids approved ones only).
    [ids.deleted] = await push(tenant, token, [invoice(tenant, 'inv_del', 'R-DEL')], p.defaults());
    [ids.same, ids.total, ids.edited, ids.voided, ids.bill] = await push(tenant, token, [
      invoice(tenant, 'inv_same', 'R-SAME'), invoice(tenant, 'inv_total', 'R-TOTAL'), invoice(tenant, 'inv_edit', 'R-EDIT'),
      invoice(tenant, 'inv_void', 'R-VOID'), requestedBill({ tenantId: tenant, id: 'bill_dup' }),
    ], p.defaults({ approved: true }));
    const providerId = async (key: string) => (await doc(ids[key]!)).provider_id!;

    // A while later, at the provider.
    p.advance(120_000);
    await p.atProvider.duplicateBill(tenant, orgId, 'SUP-88');
    await p.atProvider.remove(tenant, orgId, await providerId('deleted'));
    await p.atProvider.changeTotal(tenant, orgId, await providerId('total'));
    await p.atProvider.edit(tenant, orgId, await providerId('edited'));
    await p.atProvider.voidInvoice(tenant, orgId, await providerId('voided'));

    const before = p.requestCount();
    const result = await reconcile(tenant, token, { from: '2026-11-01', to: '2026-11-30' });
    const calls = p.callsSince(orgId, before);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.filter((c) => c.method !== 'GET')).toEqual([]);

    expect(result).toMatchObject({ status: 'succeeded', kind: null, from: '2026-11-01', to: '2026-11-30', counts: { documents: 6, agreeing: 1, with_findings: 5 }, error: null, next_cursor: null });
    const found = (key: string) => result.findings.filter((f: { document_id: string }) => f.document_id === ids[key]).map((f: { type: string }) => f.type).sort();
    expect(found('same')).toEqual([]);
    expect(found('deleted')).toEqual(['missing_at_provider']);
    expect(found('total')).toEqual(['changed_at_provider', 'total_differs']);
    expect(found('edited')).toEqual(['changed_at_provider']);
    expect(found('voided')).toEqual(['changed_at_provider', 'status_differs']);
    expect(found('bill')).toEqual(['duplicate_at_provider']);
    expect(result.findings_by_type).toEqual({ duplicate_at_provider: 1, missing_at_provider: 1, total_differs: 1, status_differs: 1, changed_at_provider: 3 });

    const byType = (type: string) => result.findings.find((f: { type: string }) => f.type === type);
    expect(byType('total_differs')).toMatchObject({ kind: 'sales_invoice', number: 'R-TOTAL', reference: 'SO-R-TOTAL', expected: { total: '24.00' }, actual: { total: '36.00' }, provider_ids: [await providerId('total')] });
    expect(byType('duplicate_at_provider')).toMatchObject({ kind: 'supplier_bill', number: 'SUP-88', expected: { count: 1 }, actual: { count: 2 } });
    expect(byType('duplicate_at_provider').provider_ids).toHaveLength(2);
    expect(byType('duplicate_at_provider').provider_ids).toContain(await providerId('bill'));
    expect(byType('status_differs')).toMatchObject({ number: 'R-VOID', expected: { status: 'active' }, actual: { state: 'voided' } });
    expect(byType('missing_at_provider')).toMatchObject({ number: 'R-DEL', provider_ids: [await providerId('deleted')] });
    const changed = result.findings.find((f: { type: string; document_id: string }) => f.type === 'changed_at_provider' && f.document_id === ids.edited);
    expect(new Date(changed.actual.updated_at).getTime()).toBeGreaterThan(new Date(changed.expected.synced_at).getTime());

    // Nothing changed in Ledgerport either: the documents are as they were.
    for (const id of Object.values(ids)) expect(await doc(id!)).toMatchObject({ status: 'synced' });
    // Its sync run: one item per document checked.
    const run = await p.h.request('GET', `/v1/tenants/${tenant}/sync-runs/${result.id}`, { token });
    expect(run.body).toMatchObject({ kind: 'reconciliation', status: 'succeeded', counts: { total: 6, succeeded: 1, failed: 5 } });
    const events = await p.h.request('GET', `/v1/tenants/${tenant}/events`, { token });
    expect(events.body.data.filter((e: { type: string; data: { kind: string } }) => e.type === 'sync_run.finished' && e.data.kind === 'reconciliation')).toHaveLength(1);
  });

  it('pages its findings with a cursor and lists reconciliations newest first', async () => {
    const all = await reconcile(tenant, token);
    expect(all.counts.documents).toBe(6);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { findings: { id: string }[]; next_cursor: string | null } } = await p.h.request('GET', `/v1/tenants/${tenant}/reconciliations/${all.id}?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token });
      expect(page.status).toBe(200);
      expect(page.body.findings.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.findings.map((f) => f.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.findings.map((f: { id: string }) => f.id));
    expect(seen.length).toBe(7);

    const list = await p.h.request('GET', `/v1/tenants/${tenant}/reconciliations?limit=1`, { token });
    expect(list.status).toBe(200);
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([all.id]);
    const older = await p.h.request('GET', `/v1/tenants/${tenant}/reconciliations?cursor=${list.body.next_cursor}`, { token });
    expect(older.body.data).toHaveLength(1);
    expect(older.body.data[0]).toMatchObject({ from: '2026-11-01', to: '2026-11-30', findings_by_type: { changed_at_provider: 3 } });
  });

  it('keeps to the kind and the issue dates asked for', async () => {
    const bills = await reconcile(tenant, token, { kind: 'supplier_bill' });
    expect(bills).toMatchObject({ kind: 'supplier_bill', counts: { documents: 1, with_findings: 1 } });
    expect(bills.findings.map((f: { type: string }) => f.type)).toEqual(['duplicate_at_provider']);
    const later = await reconcile(tenant, token, { from: '2027-01-01', kind: null });
    expect(later).toMatchObject({ status: 'succeeded', counts: { documents: 0 }, findings: [] });
  });

  it('refuses bad input (400), another tenant (404) and a tenant that is not connected (409)', async () => {
    const post = (body: unknown, opts: { tenantId?: string; raw?: string; token?: string } = {}) =>
      p.h.request('POST', `/v1/tenants/${opts.tenantId ?? tenant}/reconciliations`, { token: opts.token ?? token, ...(opts.raw !== undefined ? { rawBody: opts.raw, headers: { 'content-type': 'application/json' } } : { body }) });
    for (const body of [{ from: '2026-13-01' }, { from: '2026-12-01', to: '2026-11-01' }, { kind: 'payment' }, { extra: true }, { from: 20261101 }, []]) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    expect((await post(undefined, { raw: '{"from":' })).body.error.code).toBe('malformed_json');
    expect((await post(undefined, { raw: '' })).status).toBe(202);

    const list = await p.h.request('GET', `/v1/tenants/${tenant}/reconciliations`, { token });
    const id = list.body.data[0].id as string;
    expect((await p.h.request('GET', `/v1/tenants/${tenant}/reconciliations?cursor=nope!`, { token })).body.error.code).toBe('invalid_cursor');
    expect((await p.h.request('GET', `/v1/tenants/${tenant}/reconciliations/${id}?limit=0`, { token })).status).toBe(400);

    const other = await p.h.token('t_recon_other');
    for (const path of [`/v1/tenants/${tenant}/reconciliations/${id}`, `/v1/tenants/${tenant}/reconciliations`]) {
      const res = await p.h.request('GET', path, { token: other });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('tenant_not_found');
    }
    expect((await post({}, { token: other })).status).toBe(404);
    // The other tenant, connected, cannot see this one's reconciliation under its own path either.
    const { token: otherToken } = await p.connect('t_recon_other');
    const theirs = await p.h.request('GET', `/v1/tenants/t_recon_other/reconciliations/${id}`, { token: otherToken });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('not_found');
    expect((await p.h.request('GET', `/v1/tenants/t_recon_other/reconciliations/not-a-uuid`, { token: otherToken })).status).toBe(404);
    // A push batch's sync run is not a reconciliation.
    const pushRun = (await p.h.request('GET', `/v1/tenants/${tenant}/sync-runs?kind=push`, { token })).body.data[0].id;
    expect((await p.h.request('GET', `/v1/tenants/${tenant}/reconciliations/${pushRun}`, { token })).status).toBe(404);

    await p.h.request('PUT', '/v1/tenants/t_recon_bare/defaults', { token: await p.h.token('t_recon_bare'), body: {} });
    const bare = await post({}, { tenantId: 't_recon_bare', token: await p.h.token('t_recon_bare') });
    expect(bare.status).toBe(409);
    expect(bare.body.error.code).toBe('not_connected');
  });

  it('compares totals to the unit, no tolerance per line: a copy as sent agrees, one cent more at the provider is a finding', async () => {
    const cents = 't_recon_cents';
    const { token: centsToken, orgId: centsOrg } = await p.connect(cents);
    const withLines = (id: string, lines: unknown[]) => {
      const event = shippedInvoice({ tenantId: cents, id, lines }) as { data: { invoice: Record<string, unknown> } };
      Object.assign(event.data.invoice, { number: id.toUpperCase(), reference: `SO-${id}` });
      return event;
    };
    // Every line rounds: 0.125 → 0.13 (tax 0.026 → 0.03), 3 × 0.3333 → 1.00 (0.20), 2 × 45.455 → 90.91 at 5% (4.5455 → 4.55).
    const exactLines = [
      { description: 'Washer', quantity: '1', unit_price: '0.125', tax_rate: '20' },
      { description: 'Nut', quantity: '3', unit_price: '0.3333', tax_rate: '20' },
      { description: 'Bracket', quantity: '2', unit_price: '45.455', tax_rate: '5' },
    ];
    // 29.99 + 6.00 of VAT (5.998) and a free line: 35.99, two lines (the old tolerance was 1.5 cents).
    const centLines = [
      { description: 'Widget', quantity: '1', unit_price: '29.99', tax_rate: '20' },
      { description: 'Sample', quantity: '1', unit_price: '0.00', tax_rate: '20' },
    ];
    const [exact, cent] = await push(cents, centsToken, [withLines('inv_exact', exactLines), withLines('inv_cent', centLines)], p.defaults({ approved: true }));
    // At the provider the first line becomes 3 × 10.00 at 20%: 36.00, one cent more than Ledgerport sent.
    await p.atProvider.changeTotal(cents, centsOrg, (await doc(cent!)).provider_id!);

    const result = await reconcile(cents, centsToken);
    expect(result.status).toBe('succeeded');
    const totalFindings = result.findings.filter((f: { type: string }) => f.type === 'total_differs');
    expect(totalFindings).toEqual([expect.objectContaining({ document_id: cent, number: 'INV_CENT', expected: { total: '35.99' }, actual: { total: '36.00' } })]);
    // The expected total is the platform's (documents/totals.ts), and the copy as sent agrees with it to the cent.
    const source = (await doc(cent!)).source as unknown as TotalsDocument;
    expect(formatTotal(source)).toBe('35.99');
    expect(result.findings.filter((f: { document_id: string }) => f.document_id === exact)).not.toContainEqual(expect.objectContaining({ type: 'total_differs' }));
    expect(formatTotal((await doc(exact!)).source as unknown as TotalsDocument)).toBe('96.82');
  });

  it('runs on the schedule the posting defaults ask for, once a day', async () => {
    const saved = await p.h.request('PUT', `/v1/tenants/${tenant}/defaults`, { token, body: { ...p.defaults({ approved: true }), reconcile_schedule: 'daily' } });
    expect(saved.status).toBe(200);
    expect(saved.body.reconcile_schedule).toBe('daily');
    const scheduled = async () => (await p.h.request('GET', `/v1/tenants/${tenant}/reconciliations`, { token })).body.data.filter((r: { trigger: string }) => r.trigger === 'schedule');
    await addJobs(p.h.database.db, [{ task: 'schedule_reconciliations', payload: {} }]);
    await p.h.runJobs();
    await p.h.runJobs();
    const runs = await scheduled();
    expect(runs).toHaveLength(1);
    const today = new Date();
    expect(runs[0]).toMatchObject({ status: 'succeeded', kind: null, to: today.toISOString().slice(0, 10), from: new Date(today.getTime() - 90 * 86_400_000).toISOString().slice(0, 10) });
    expect(runs[0].counts.documents).toBe(6);
    // Not again the same day; and not at all once the schedule is off.
    await addJobs(p.h.database.db, [{ task: 'schedule_reconciliations', payload: {} }]);
    await p.h.runJobs();
    expect(await scheduled()).toHaveLength(1);
    const off = await p.h.request('PUT', `/v1/tenants/${tenant}/defaults`, { token, body: { reconcile_schedule: 'off' } });
    expect(off.body.reconcile_schedule).toBe('off');
  });
});
