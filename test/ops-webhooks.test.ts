import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../src/security/standard-webhooks.ts';
import { OPS_SECRET_NEXT, requestedBill, shippedInvoice, startHarness, type Harness } from './helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const jobsFor = async (documentId: string) =>
  (await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs j
     join graphile_worker._private_tasks t on t.id = j.task_id
     where t.identifier = 'route_document' and j.payload->>'document_id' = ${documentId}`.execute(h.database.db)).rows[0]!.n;
const inboundCount = async (deliveryId: string) =>
  Number((await h.database.db.selectFrom('inbound_events').select((eb) => eb.fn.countAll().as('n')).where('delivery_id', '=', deliveryId).executeTakeFirstOrThrow()).n);

describe('POST /webhooks/ops: accepting events', () => {
  it('answers 202 only after the event, the document and its job are committed', async () => {
    const id = `msg_${randomUUID()}`;
    const res = await h.sendOps(shippedInvoice({ tenantId: 'org_accept', id: 'inv_a1' }), { id });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ document_id: expect.any(String), status: 'received' });

    const doc = await h.database.db.selectFrom('documents').selectAll().where('id', '=', res.body.document_id).executeTakeFirstOrThrow();
    expect(doc).toMatchObject({ tenant_id: 'org_accept', kind: 'sales_invoice', source_id: 'inv_a1', source_version: 1, status: 'received', source_event_type: 'sales_order.shipped' });
    expect((doc.source as { number: string }).number).toBe('INV-1001');
    const event = await h.database.db.selectFrom('inbound_events').selectAll().where('delivery_id', '=', id).executeTakeFirstOrThrow();
    expect(event).toMatchObject({ source: 'ops', outcome: 'accepted', document_id: doc.id, tenant_id: 'org_accept' });
    expect(await h.database.db.selectFrom('tenants').select('id').where('id', '=', 'org_accept').executeTakeFirst()).toBeDefined();
    expect(await jobsFor(doc.id)).toBe(1);
  });

  it('accepts supplier bill requests as supplier_bill documents', async () => {
    const res = await h.sendOps(requestedBill({ tenantId: 'org_bill' }));
    expect(res.status).toBe(202);
    const doc = await h.database.db.selectFrom('documents').select(['kind', 'source_id']).where('id', '=', res.body.document_id).executeTakeFirstOrThrow();
    expect(doc).toEqual({ kind: 'supplier_bill', source_id: 'bill_501' });
  });

  it('treats a repeated webhook-id as a duplicate: 200, nothing stored or enqueued again', async () => {
    const id = `msg_${randomUUID()}`;
    const first = await h.sendOps(shippedInvoice({ tenantId: 'org_dup', id: 'inv_d1' }), { id });
    const again = await h.sendOps(shippedInvoice({ tenantId: 'org_dup', id: 'inv_d1', version: 2 }), { id });
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ duplicate: true, document_id: first.body.document_id });
    expect(await inboundCount(id)).toBe(1);
    expect(await jobsFor(first.body.document_id)).toBe(1);
    const doc = await h.database.db.selectFrom('documents').select('source_version').where('id', '=', first.body.document_id).executeTakeFirstOrThrow();
    expect(doc.source_version).toBe(1);
  });

  it('dedupes the same delivery sent concurrently', async () => {
    const id = `msg_${randomUUID()}`;
    const event = shippedInvoice({ tenantId: 'org_dup_conc', id: 'inv_dc' });
    const results = await Promise.all(Array.from({ length: 8 }, () => h.sendOps(event, { id })));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200 && r.body.duplicate === true)).toHaveLength(7);
    expect(await inboundCount(id)).toBe(1);
  });

  it('acknowledges unknown event types, records them as ignored and logs them', async () => {
    const id = `msg_${randomUUID()}`;
    const res = await h.sendOps({ type: 'customer.birthday', tenant_id: 'org_unknown_type', occurred_at: '2026-11-21T10:00:00Z', data: {} }, { id });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ignored: true, reason: 'unsupported_event_type' });
    const event = await h.database.db.selectFrom('inbound_events').selectAll().where('delivery_id', '=', id).executeTakeFirstOrThrow();
    expect(event).toMatchObject({ outcome: 'ignored', outcome_reason: 'unsupported_event_type', document_id: null });
    expect(h.logs.lines.some((l) => l.webhookId === id && String(l.msg).includes('ignored'))).toBe(true);
    const replay = await h.sendOps({ type: 'customer.birthday', tenant_id: 'org_unknown_type', occurred_at: '2026-11-21T10:00:00Z', data: {} }, { id });
    expect(replay.body).toEqual({ duplicate: true, document_id: null });
  });

  it('a newer version replaces the snapshot; an older or equal one never regresses it', async () => {
    const v2 = await h.sendOps(shippedInvoice({ tenantId: 'org_ver', id: 'inv_v', version: 2 }));
    const documentId = v2.body.document_id;
    const older = await h.sendOps({ ...shippedInvoice({ tenantId: 'org_ver', id: 'inv_v', version: 1 }), data: { invoice: { ...shippedInvoice({ id: 'inv_v', version: 1 }).data.invoice, number: 'OLD' } } });
    expect(older.status).toBe(202);
    expect(older.body.document_id).toBe(documentId);
    let doc = await h.database.db.selectFrom('documents').select(['source_version', 'source']).where('id', '=', documentId).executeTakeFirstOrThrow();
    expect(doc.source_version).toBe(2);
    expect((doc.source as { number: string }).number).toBe('INV-1001');

    const v3 = await h.sendOps({ ...shippedInvoice({ tenantId: 'org_ver', id: 'inv_v', version: 3 }), data: { invoice: { ...shippedInvoice({ id: 'inv_v', version: 3 }).data.invoice, number: 'INV-1001-B' } } });
    expect(v3.body.document_id).toBe(documentId);
    doc = await h.database.db.selectFrom('documents').select(['source_version', 'source']).where('id', '=', documentId).executeTakeFirstOrThrow();
    expect(doc.source_version).toBe(3);
    expect((doc.source as { number: string }).number).toBe('INV-1001-B');
    const history = await h.database.db.selectFrom('document_events').select(['source_version', 'reason']).where('document_id', '=', documentId).orderBy('id').execute();
    expect(history.map((e) => e.source_version)).toEqual([2, 3]);
  });

  it('group-commits concurrent requests: each answered after its own commit, all stored', async () => {
    const events = Array.from({ length: 120 }, (_, i) => shippedInvoice({ tenantId: `org_burst_${i % 7}`, id: `inv_burst_${i}` }));
    const results = await Promise.all(events.map((e) => h.sendOps(e)));
    expect(results.every((r) => r.status === 202)).toBe(true);
    const ids = new Set(results.map((r) => r.body.document_id));
    expect(ids.size).toBe(120);
    const stored = await h.database.db.selectFrom('documents').select('id').where('source_id', 'like', 'inv_burst_%').execute();
    expect(stored).toHaveLength(120);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs j
      join documents d on d.id::text = j.payload->>'document_id' where d.source_id like 'inv_burst_%'`.execute(h.database.db);
    expect(rows[0]!.n).toBe(120);
  });

  it('keeps versions ordered when versions of one document arrive together', async () => {
    const versions = [3, 1, 5, 2, 4];
    await Promise.all(versions.map((version) => h.sendOps(shippedInvoice({ tenantId: 'org_race', id: 'inv_race', version }))));
    const doc = await h.database.db.selectFrom('documents').select('source_version').where('source_id', '=', 'inv_race').executeTakeFirstOrThrow();
    expect(doc.source_version).toBe(5);
  });
});

describe('POST /webhooks/ops: bad input stores nothing', () => {
  const nothingStored = async (deliveryId: string) => expect(await inboundCount(deliveryId)).toBe(0);
  const event = shippedInvoice({ tenantId: 'org_bad' });
  const raw = JSON.stringify(event);
  const now = () => Math.floor(Date.now() / 1000);
  const post = (headers: Record<string, string>, body = raw) => h.request('POST', '/webhooks/ops', { rawBody: body, headers: { 'content-type': 'application/json', ...headers } });

  it('401 missing_webhook_headers without signature headers', async () => {
    const res = await post({ 'webhook-id': 'msg_nohdr' });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'missing_webhook_headers', request_id: expect.any(String) });
    await nothingStored('msg_nohdr');
  });

  it('401 invalid_webhook_signature for a wrong signature or tampered body', async () => {
    const ts = now();
    const wrong = await post({ 'webhook-id': 'msg_wrong', 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook('whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC0xMjM0NTY=', 'msg_wrong', ts, raw) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_webhook_signature');
    const tampered = await post({ 'webhook-id': 'msg_tamper', 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(h.config.opsWebhookSecrets[0]!, 'msg_tamper', ts, raw) }, raw.replace('Acme', 'Acne'));
    expect(tampered.status).toBe(401);
    expect(tampered.body.error.code).toBe('invalid_webhook_signature');
    await nothingStored('msg_wrong');
    await nothingStored('msg_tamper');
  });

  it('accepts a delivery signed with the rotated-in second secret', async () => {
    const res = await h.sendOps(shippedInvoice({ tenantId: 'org_rotate' }), { secret: OPS_SECRET_NEXT });
    expect(res.status).toBe(202);
  });

  it('401 stale_webhook_timestamp for an expired or future timestamp', async () => {
    const old = await h.sendOps(event, { id: 'msg_old', timestamp: now() - 301 });
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe('stale_webhook_timestamp');
    const future = await h.sendOps(event, { id: 'msg_future', timestamp: now() + 301 });
    expect(future.body.error.code).toBe('stale_webhook_timestamp');
    await nothingStored('msg_old');
    await nothingStored('msg_future');
  });

  it('400 malformed_json for a correctly signed body that is not JSON', async () => {
    const res = await h.sendOps('{"type": "sales_order.shipped",', { id: 'msg_malformed' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('malformed_json');
    await nothingStored('msg_malformed');
  });

  it('400 validation_failed with field paths for wrong types and missing fields', async () => {
    const bad = shippedInvoice({ tenantId: 'org_bad' }) as { data: { invoice: Record<string, unknown> } };
    bad.data.invoice.version = '1';
    bad.data.invoice.currency = 'pounds';
    bad.data.invoice.lines = [{ description: 'x', quantity: 2, unit_price: '1.00' }];
    delete bad.data.invoice.customer;
    const res = await h.sendOps(bad, { id: 'msg_invalid' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['data.invoice.version', 'data.invoice.currency', 'data.invoice.lines.0.quantity', 'data.invoice.customer']));
    await nothingStored('msg_invalid');
  });

  it('400 for an envelope that is not an object or lacks tenant_id', async () => {
    const res = await h.sendOps([1, 2, 3], { id: 'msg_array' });
    expect(res.status).toBe(400);
    const noTenant = await h.sendOps({ type: 'sales_order.shipped', occurred_at: '2026-11-21T10:00:00Z', data: {} }, { id: 'msg_notenant' });
    expect(noTenant.status).toBe(400);
    expect(noTenant.body.error.details.map((d: { path: string }) => d.path)).toContain('tenant_id');
  });

  it('400 validation_failed for a date that does not exist', async () => {
    const bad = shippedInvoice({ tenantId: 'org_bad' }) as { data: { invoice: Record<string, unknown> } };
    bad.data.invoice.issue_date = '2026-02-31';
    const res = await h.sendOps(bad, { id: 'msg_feb31' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'data.invoice.issue_date', message: 'must be a real calendar date' }]);
  });

  it('400 validation_failed, not a 500, for a date that is not a date at all', async () => {
    const bad = shippedInvoice({ tenantId: 'org_bad' }) as { data: { invoice: Record<string, unknown> } };
    bad.data.invoice.due_date = 'yesterday';
    const res = await h.sendOps(bad, { id: 'msg_yesterday' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual({ path: 'data.invoice.due_date', message: 'must be a date YYYY-MM-DD' });
  });

  it('400 invalid_characters for NUL in strings (PostgreSQL cannot store it)', async () => {
    const res = await h.sendOps(JSON.stringify(shippedInvoice({ tenantId: 'org_nul' })).replace('Widget', 'Wid\\u0000get'), { id: 'msg_nul' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_characters');
  });

  it('413 payload_too_large for a body over 1 MiB', async () => {
    const huge = shippedInvoice({ tenantId: 'org_huge', lines: Array.from({ length: 6000 }, () => ({ description: 'x'.repeat(200), quantity: '1', unit_price: '1.00' })) });
    const res = await h.sendOps(huge, { id: 'msg_huge' });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    await nothingStored('msg_huge');
  });
});
