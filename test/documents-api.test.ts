import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestedBill, shippedInvoice, startHarness, type Harness } from './helpers/harness.ts';

let h: Harness;
let token: string;
beforeAll(async () => {
  h = await startHarness();
  token = await h.token('org_docs');
  for (let i = 0; i < 7; i++) await h.sendOps(shippedInvoice({ tenantId: 'org_docs', id: `inv_${i}` }));
  await h.sendOps(requestedBill({ tenantId: 'org_docs', id: 'bill_1' }));
  await h.sendOps(shippedInvoice({ tenantId: 'org_other', id: 'inv_secret' }));
  await h.runJobs();
});
afterAll(async () => {
  await h.close();
});

describe('REST authentication', () => {
  it('401 missing_token without a bearer token', async () => {
    const res = await h.request('GET', '/v1/tenants/org_docs/documents');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('missing_token');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('401 invalid_token for a token signed with another secret or garbage', async () => {
    const forged = await h.token('org_docs', { secret: 'another-secret-another-secret-another-secret' });
    expect((await h.request('GET', '/v1/tenants/org_docs/documents', { token: forged })).body.error.code).toBe('invalid_token');
    expect((await h.request('GET', '/v1/tenants/org_docs/documents', { token: 'not.a.jwt' })).body.error.code).toBe('invalid_token');
  });

  it('401 token_expired for an expired token', async () => {
    const expired = await h.token('org_docs', { expiresIn: '-1m' });
    const res = await h.request('GET', '/v1/tenants/org_docs/documents', { token: expired });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_expired');
  });

  it("404 for another tenant's resources, as if they did not exist", async () => {
    const res = await h.request('GET', '/v1/tenants/org_other/documents', { token });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('tenant_not_found');
    const other = await h.database.db.selectFrom('documents').select('id').where('tenant_id', '=', 'org_other').executeTakeFirstOrThrow();
    expect((await h.request('GET', `/v1/tenants/org_docs/documents/${other.id}`, { token })).status).toBe(404);
  });

  it('a platform-admin token (tenant_id "*") reaches every tenant', async () => {
    const admin = await h.token('*');
    const res = await h.request('GET', '/v1/tenants/org_other/documents', { token: admin });
    expect(res.status).toBe(200);
    expect(res.body.data.map((d: { source_id: string }) => d.source_id)).toEqual(['inv_secret']);
  });

  it('404 tenant_not_found for a tenant that does not exist', async () => {
    const admin = await h.token('*');
    expect((await h.request('GET', '/v1/tenants/org_nobody/documents', { token: admin })).body.error.code).toBe('tenant_not_found');
  });
});

describe('GET /v1/tenants/{tenant_id}/documents', () => {
  it('pages newest first by opaque cursor without skipping or repeating', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await h.request('GET', `/v1/tenants/org_docs/documents?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { token });
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((d: { source_id: string }) => d.source_id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['bill_1', 'inv_6', 'inv_5', 'inv_4', 'inv_3', 'inv_2', 'inv_1', 'inv_0']);
  });

  it('filters by status and kind', async () => {
    const bills = await h.request('GET', '/v1/tenants/org_docs/documents?kind=supplier_bill', { token });
    expect(bills.body.data.map((d: { source_id: string }) => d.source_id)).toEqual(['bill_1']);
    const held = await h.request('GET', '/v1/tenants/org_docs/documents?status=held', { token });
    expect(held.body.data).toHaveLength(8);
    expect(held.body.data[0]).toMatchObject({ status: 'held', status_reason: 'the tenant has no accounting connection yet' });
    const synced = await h.request('GET', '/v1/tenants/org_docs/documents?status=synced', { token });
    expect(synced.body).toEqual({ data: [], next_cursor: null });
  });

  it('400 for an unknown status, a bad limit or a forged cursor', async () => {
    const status = await h.request('GET', '/v1/tenants/org_docs/documents?status=lost', { token });
    expect(status.status).toBe(400);
    expect(status.body.error.details[0].path).toBe('status');
    expect((await h.request('GET', '/v1/tenants/org_docs/documents?limit=0', { token })).status).toBe(400);
    expect((await h.request('GET', '/v1/tenants/org_docs/documents?limit=abc', { token })).status).toBe(400);
    const cursor = await h.request('GET', '/v1/tenants/org_docs/documents?cursor=bm9wZQ', { token });
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.code).toBe('invalid_cursor');
  });
});

describe('GET /v1/tenants/{tenant_id}/documents/{document_id}', () => {
  it('returns the document with its source snapshot and full history', async () => {
    const { id } = await h.database.db.selectFrom('documents').select('id').where('source_id', '=', 'inv_0').executeTakeFirstOrThrow();
    const res = await h.request('GET', `/v1/tenants/org_docs/documents/${id}`, { token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, kind: 'sales_invoice', status: 'held', source: { number: 'INV-1001', customer: { name: 'Acme Ltd' } }, attempts: [] });
    expect(res.body.history.map((e: { from_status: string | null; to_status: string }) => [e.from_status, e.to_status])).toEqual([
      [null, 'received'],
      ['received', 'held'],
    ]);
  });

  it('404 for an unknown or malformed document id', async () => {
    expect((await h.request('GET', '/v1/tenants/org_docs/documents/7d1b3a62-0000-4000-8000-000000000000', { token })).status).toBe(404);
    const malformed = await h.request('GET', '/v1/tenants/org_docs/documents/not-a-uuid', { token });
    expect(malformed.status).toBe(404);
    expect(malformed.body.error.code).toBe('not_found');
  });

  it('records every status change once', async () => {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from document_events e join documents d on d.id = e.document_id where d.tenant_id = 'org_docs'`.execute(h.database.db);
    expect(rows[0]!.n).toBe(16);
  });
});
