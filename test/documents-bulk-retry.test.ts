import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transition } from '../src/documents/lifecycle.ts';
import { retryAllFailed } from '../src/sync/document-actions.ts';
import { claimBatch } from '../src/sync/push/batches.ts';
import { applyOutcomes } from '../src/sync/push/outcomes.ts';
import { requestedBill, shippedInvoice, startHarness, type Harness } from './helpers/harness.ts';

/** POST /v1/tenants/{tenant_id}/documents/retry: every failed document back to the queue. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const db = () => h.database.db;
const doc = (id: string) => db().selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const statuses = async (ids: readonly string[]) => (await Promise.all(ids.map(doc))).map((d) => d.status);
const eventCount = async (tenantId: string) =>
  (await sql<{ n: number }>`select count(*)::int as n from document_events e join documents d on d.id = e.document_id where d.tenant_id = ${tenantId}`.execute(db())).rows[0]!.n;
const pushJobs = async (tenantId: string) =>
  (await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
     where t.identifier = 'push_documents' and j.payload->>'tenant_id' = ${tenantId}`.execute(db())).rows[0]!.n;

async function connect(tenantId: string, status: 'connected' | 'needs_reauth' = 'connected') {
  await db().insertInto('tenants').values({ id: tenantId }).onConflict((oc) => oc.doNothing()).execute();
  await db()
    .insertInto('connections')
    .values({ tenant_id: tenantId, provider: 'xero', status, status_reason: null, provider_org_id: `org-${tenantId}`, provider_org_name: 'Demo Ltd', token_set: null, access_token_expires_at: null, connected_at: new Date() })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ status }))
    .execute();
}

/**
 * Documents received over the ops webhook and failed the way the pusher fails them: queued,
 * claimed into a batch, and refused by the provider (applyOutcomes). No job runs, so the only
 * push job a test sees is the one the retry enqueued.
 */
async function failed(tenantId: string, events: unknown[]): Promise<string[]> {
  const ids: string[] = [];
  for (const event of events) {
    const res = await h.sendOps(event);
    expect(res.status).toBe(202);
    ids.push(res.body.document_id);
  }
  await db().transaction().execute(async (tx) => {
    for (const id of ids) {
      const row = await tx.selectFrom('documents').select(['id', 'status']).where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
      await transition(tx, row, 'queued', { patch: { defaults_version: 0, defaults_snapshot: JSON.stringify({ sales_invoice_account: '200' }) } });
    }
  });
  for (let batch = await claimBatch(db(), tenantId, 'xero', 50); batch; batch = await claimBatch(db(), tenantId, 'xero', 50)) {
    await applyOutcomes(db(), h.ctx.services.feed, batch.id, batch.documents.map((d) => ({ documentId: d.documentId, status: 'failed' as const, errors: [{ message: 'Invoice # must be unique.' }] })), { closeBatch: true });
  }
  expect(await statuses(ids)).toEqual(ids.map(() => 'failed'));
  return ids;
}

const invoices = (tenantId: string, n: number, prefix = 'inv') => Array.from({ length: n }, (_, i) => shippedInvoice({ tenantId, id: `${prefix}_${i}` }));
function retry(tenantId: string, init: { body?: unknown; rawBody?: string; key?: string; token: string }) {
  const headers: Record<string, string> = {};
  if (init.key !== undefined) headers['idempotency-key'] = init.key;
  if (init.rawBody !== undefined) headers['content-type'] = 'application/json';
  return h.request('POST', `/v1/tenants/${tenantId}/documents/retry`, { token: init.token, headers, body: init.body, rawBody: init.rawBody });
}

describe('POST /v1/tenants/{tenant_id}/documents/retry', () => {
  it('queues every failed document of the tenant, and nothing else, with one push job', async () => {
    const t = 'org_bulk_all';
    await h.sendOps(shippedInvoice({ tenantId: t, id: 'inv_held' }));
    await h.runJobs(); // held: no connection yet
    await connect(t);
    const failedInvoices = await failed(t, invoices(t, 3));
    const [failedBill] = await failed(t, [requestedBill({ tenantId: t, id: 'bill_1' })]);
    await connect('org_bulk_bystander');
    const [bystander] = await failed('org_bulk_bystander', invoices('org_bulk_bystander', 1));
    const held = await db().selectFrom('documents').select('id').where('source_id', '=', 'inv_held').executeTakeFirstOrThrow();
    expect(await pushJobs(t)).toBe(0);
    const eventsBefore = await eventCount(t);

    const res = await retry(t, { token: await h.token(t) });
    expect(res.status).toBe(202);
    const expected = [...failedInvoices, failedBill!];
    expect(res.body).toEqual({ count: 4, document_ids: expected });

    for (const id of expected) {
      expect(await doc(id)).toMatchObject({ status: 'queued', status_reason: 'retry requested', last_error: null, defaults_version: 0, defaults_snapshot: { sales_invoice_account: '200' } });
      const last = await db().selectFrom('document_events').select(['from_status', 'to_status', 'reason']).where('document_id', '=', id).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
      expect(last).toEqual({ from_status: 'failed', to_status: 'queued', reason: 'retry requested' });
    }
    expect(await eventCount(t)).toBe(eventsBefore + 4);
    expect(await doc(held.id)).toMatchObject({ status: 'held' });
    expect(await doc(bystander!)).toMatchObject({ status: 'failed' });
    expect(await pushJobs(t)).toBe(1);
    expect(await pushJobs('org_bulk_bystander')).toBe(0);

    // The queued documents go to the provider in a manual push run, like a single retry's.
    const batch = await claimBatch(db(), t, 'xero', 50);
    expect(batch?.documents.map((d) => d.documentId).sort()).toEqual([...expected].sort());

    // Nothing left to retry: 202 with nothing.
    const again = await retry(t, { token: await h.token(t) });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ count: 0, document_ids: [] });
  });

  it('narrows by kind, by ids, or by both; ids that are not failed are left alone', async () => {
    const t = 'org_bulk_narrow';
    await connect(t);
    const token = await h.token(t);
    const inv = await failed(t, invoices(t, 3));
    const [bill1, bill2] = await failed(t, [requestedBill({ tenantId: t, id: 'bill_1' }), requestedBill({ tenantId: t, id: 'bill_2' })]);

    const bills = await retry(t, { token, body: { kind: 'supplier_bill' } });
    expect(bills.body).toEqual({ count: 2, document_ids: [bill1, bill2] });
    expect(await statuses(inv)).toEqual(['failed', 'failed', 'failed']);

    const unknown = randomUUID();
    // Upper case ids name the same documents; an id that is not failed (now queued) or unknown is ignored.
    const some = await retry(t, { token, body: { ids: [inv[2]!.toUpperCase(), bill1, unknown, inv[0]] } });
    expect(some.body).toEqual({ count: 2, document_ids: [inv[0], inv[2]] });
    expect(await statuses(inv)).toEqual(['queued', 'failed', 'queued']);

    const both = await retry(t, { token, body: { kind: 'supplier_bill', ids: [inv[1]] } });
    expect(both.body).toEqual({ count: 0, document_ids: [] });
    const last = await retry(t, { token, body: { kind: 'sales_invoice', ids: [inv[1]] } });
    expect(last.body).toEqual({ count: 1, document_ids: [inv[1]] });
  });

  it('replays the first answer for the same Idempotency-Key and body, changing nothing', async () => {
    const t = 'org_bulk_idem';
    await connect(t);
    const token = await h.token(t);
    const first = await failed(t, invoices(t, 2));
    const res = await retry(t, { token, key: 'bulk-1', body: { ids: [first[1], first[0]] } });
    expect(res.body).toEqual({ count: 2, document_ids: first });

    // The retried documents fail again, and more fail; the repeat (ids in another order) still answers the same and moves nothing.
    const later = await failed(t, invoices(t, 2, 'late'));
    expect(await statuses(first)).toEqual(['failed', 'failed']);
    const eventsBefore = await eventCount(t);
    const replay = await retry(t, { token, key: 'bulk-1', body: { ids: [first[0], first[1], first[0]] } });
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual(res.body);
    expect(await statuses([...first, ...later])).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(await eventCount(t)).toBe(eventsBefore);

    // The same key with another body, or for a single-document retry, is another request.
    const reused = await retry(t, { token, key: 'bulk-1', body: { kind: 'supplier_bill' } });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    const everything = await retry(t, { token, key: 'bulk-1' });
    expect(everything.body.error.code).toBe('idempotency_key_reused');
    const single = await h.request('POST', `/v1/tenants/${t}/documents/${later[0]}/retry`, { token, headers: { 'idempotency-key': 'single-1' } });
    expect(single.status).toBe(202);
    expect((await retry(t, { token, key: 'single-1' })).body.error.code).toBe('idempotency_key_reused');
    expect(await statuses(later)).toEqual(['queued', 'failed']);

    // No body and {} are the same request.
    const empty = await retry(t, { token, key: 'bulk-2' });
    expect(empty.body).toEqual({ count: 3, document_ids: [first[0], first[1], later[1]] });
    expect((await retry(t, { token, key: 'bulk-2', body: {} })).body).toEqual(empty.body);

    // Keys are per tenant: another tenant may use the same key.
    await connect('org_bulk_idem_2');
    const other = await retry('org_bulk_idem_2', { token: await h.token('org_bulk_idem_2'), key: 'bulk-1' });
    expect(other.body).toEqual({ count: 0, document_ids: [] });
  });

  it('concurrent requests with the same key move each document once and get the same answer', async () => {
    const t = 'org_bulk_race';
    await connect(t);
    const token = await h.token(t);
    const ids = await failed(t, invoices(t, 5));
    const eventsBefore = await eventCount(t);
    const answers = await Promise.all(Array.from({ length: 4 }, () => retry(t, { token, key: 'race-1' })));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202]);
    for (const answer of answers) expect(answer.body).toEqual({ count: 5, document_ids: ids });
    expect(await eventCount(t)).toBe(eventsBefore + 5);
    expect(await pushJobs(t)).toBe(1);
  });

  it('without a key a repeat retries what has failed since; a bad key is 400 and changes nothing', async () => {
    const t = 'org_bulk_keys';
    await connect(t);
    const token = await h.token(t);
    const ids = await failed(t, invoices(t, 2));
    for (const key of ['', 'k'.repeat(256)]) {
      const bad = await retry(t, { token, key });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'validation_failed', message: 'invalid Idempotency-Key header' });
    }
    expect(await statuses(ids)).toEqual(['failed', 'failed']);
    expect((await retry(t, { token })).body.count).toBe(2);
    expect((await retry(t, { token })).body).toEqual({ count: 0, document_ids: [] });
    const keys = await db().selectFrom('api_idempotency_keys').select('key').where('tenant_id', '=', t).execute();
    expect(keys).toEqual([]);
  });

  it('400 for a body that is not JSON or has wrong types, naming the field', async () => {
    const t = 'org_bulk_bad';
    await connect(t);
    const token = await h.token(t);
    const ids = await failed(t, invoices(t, 1));
    const malformed = await retry(t, { token, rawBody: '{"kind": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const cases: [unknown, string][] = [
      [{ kind: 'invoice' }, 'kind'],
      [{ ids: 'all' }, 'ids'],
      [{ ids: [] }, 'ids'],
      [{ ids: ['not-a-uuid'] }, 'ids.0'],
      [{ ids: [42] }, 'ids.0'],
      [{ status: 'failed' }, 'status'],
      [[], ''],
      [null, ''],
    ];
    for (const [body, path] of cases) {
      const res = await retry(t, { token, rawBody: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toBe('invalid bulk retry');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const tooMany = await retry(t, { token, body: { ids: Array.from({ length: 10_001 }, () => randomUUID()) } });
    expect(tooMany.status).toBe(400);
    expect(await statuses(ids)).toEqual(['failed']);
  });

  it("404 for another tenant's token or an unknown tenant; 409 not_connected changes nothing", async () => {
    const t = 'org_bulk_guard';
    await connect(t);
    const ids = await failed(t, invoices(t, 1));
    const stranger = await retry(t, { token: await h.token('org_bulk_stranger') });
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe('tenant_not_found');
    const nobody = await retry('org_bulk_nobody', { token: await h.token('*') });
    expect(nobody.status).toBe(404);
    expect(nobody.body.error.code).toBe('tenant_not_found');

    await connect(t, 'needs_reauth');
    const refused = await retry(t, { token: await h.token(t), key: 'guard-1' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('not_connected');
    expect(await statuses(ids)).toEqual(['failed']);
    // The refused request did not use up its key.
    await connect(t);
    expect((await retry(t, { token: await h.token(t), key: 'guard-1' })).body).toEqual({ count: 1, document_ids: ids });
  });

  it('passes over a document another transaction holds instead of waiting for it', async () => {
    const t = 'org_bulk_locked';
    await connect(t);
    const ids = await failed(t, invoices(t, 3));
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = db().transaction().execute(async (tx) => {
      await tx.selectFrom('documents').select('id').where('id', '=', ids[1]!).forUpdate().execute();
      locked();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await isLocked;
    const res = await retry(t, { token: await h.token(t) });
    release();
    await holder;
    expect(res.body).toEqual({ count: 2, document_ids: [ids[0], ids[2]] });
    expect(await statuses(ids)).toEqual(['queued', 'failed', 'queued']);
  });

  it('chunks continue where the previous one ended, in arrival order, the last one short or empty', async () => {
    const t = 'org_bulk_chunks';
    await connect(t);
    const ids = await failed(t, invoices(t, 5));
    const result = await retryAllFailed(db(), h.ctx.logger, t, {}, undefined, { chunkSize: 2 });
    expect(result).toEqual({ count: 5, document_ids: ids });
    const more = await failed(t, invoices(t, 4, 'more'));
    // The first five failed again with the four new ones: nine in chunks of two (the 10,000 below end on an empty chunk).
    expect((await retryAllFailed(db(), h.ctx.logger, t, {}, undefined, { chunkSize: 2 })).document_ids).toEqual([...ids, ...more]);
  });

  it('10,000 failed documents are one request, moved in chunks', async () => {
    const t = 'org_bulk_many';
    await connect(t);
    await sql`insert into documents (tenant_id, kind, source_id, source_version, source_event_type, source, status, status_reason, last_error)
      select ${t}, 'sales_invoice', 'inv_' || i, 1, 'sales_order.shipped', jsonb_build_object('id', 'inv_' || i), 'failed', 'refused', '{"provider_errors": []}'
      from generate_series(1, 10000) i`.execute(db());
    const started = performance.now();
    const res = await retry(t, { token: await h.token(t), key: 'many-1' });
    const seconds = (performance.now() - started) / 1000;
    expect(res.status).toBe(202);
    expect(res.body.count).toBe(10_000);
    expect(new Set(res.body.document_ids).size).toBe(10_000);
    const counts = await sql<{ status: string; n: number }>`select status, count(*)::int as n from documents where tenant_id = ${t} group by status`.execute(db());
    expect(counts.rows).toEqual([{ status: 'queued', n: 10_000 }]);
    expect(await eventCount(t)).toBe(10_000);
    expect(await pushJobs(t)).toBe(1);
    expect(seconds).toBeLessThan(20);
    // The replay answers from the stored answer.
    expect((await retry(t, { token: await h.token(t), key: 'many-1' })).body.count).toBe(10_000);
  });
});
