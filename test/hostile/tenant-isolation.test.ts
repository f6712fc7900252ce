import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { validBodies } from '../helpers/hostile/cases.ts';
import { fingerprintChanges, leaks, refusalProblems, storeFingerprint } from '../helpers/hostile/checks.ts';
import { serialize } from '../helpers/hostile/mutations.ts';
import { sendRequest, type Outgoing } from '../helpers/hostile/send.ts';
import { specOperations, type SpecOperation } from '../helpers/hostile/spec.ts';
import { buildWorld, type TenantWorld, type World } from '../helpers/hostile/world.ts';
import { createSpecValidator, type SpecValidator } from '../helpers/openapi.ts';

/**
 * Tenant isolation: two tenants with real data (a Xero sandbox organisation each, defaults,
 * documents pushed by the worker, a payment, imports, a failed and a held document, console
 * sessions). Every tenant-scoped operation of openapi.yaml is called with tenant B's token on
 * tenant A's path and ids, and with tenant A's token on its own path but B's resource ids: each
 * is 404, names nothing of the other tenant and changes nothing of it. Ids that travel in bodies
 * and cursors are tried too.
 */
let world: World;
let app: ReturnType<typeof createApp>;
let validator: SpecValidator;
const tried = new Map<string, number>();

beforeAll(async () => {
  world = await buildWorld();
  app = createApp(world.h.ctx);
  validator = createSpecValidator();
}, 120_000);
afterAll(async () => {
  const total = [...tried.values()].reduce((a, b) => a + b, 0);
  console.log(`tenant isolation: ${total} cross-tenant requests over ${tried.size} operations, all refused without a trace of the other tenant`);
  await world?.close();
});

const operations = specOperations().filter((o) => o.tenantScoped);
const idParams = (op: SpecOperation) => op.pathParams.filter((p) => p !== 'tenant_id');

/** The tenant's rows a request could change: equal before and after means untouched. */
async function tenantFingerprint(t: TenantWorld): Promise<Record<string, string>> {
  const id = t.tenantId;
  const { rows } = await sql<Record<string, string>>`select
    (select coalesce(string_agg(d.id::text || ':' || d.status || ':' || d.updated_at::text || ':' || coalesce(d.bill_status, ''), ',' order by d.id), '') from documents d where d.tenant_id = ${id}) as documents,
    (select count(*)::text from document_events e join documents d on d.id = e.document_id where d.tenant_id = ${id}) as document_events,
    (select coalesce(max(version), 0)::text from posting_defaults where tenant_id = ${id}) as defaults,
    (select coalesce(string_agg(status || ':' || updated_at::text || ':' || token_version, ','), '') from connections where tenant_id = ${id}) as connection,
    (select coalesce(string_agg(id::text || ':' || coalesce(revoked_at::text, '-'), ',' order by id), '') from console_sessions where tenant_id = ${id}) as sessions,
    (select count(*)::text from sync_runs where tenant_id = ${id}) as sync_runs,
    (select count(*)::text from api_idempotency_keys where tenant_id = ${id}) as idempotency_keys,
    (select count(*)::text from graphile_worker._private_jobs where payload->>'tenant_id' = ${id}) as jobs`.execute(world.h.database.db);
  return rows[0]!;
}

/** The victim's identifiers in `text` that the request did not carry itself. */
function traces(text: string, victim: TenantWorld, request: string): string[] {
  return victim.identifiers.filter((s) => text.includes(s) && !request.includes(s));
}

function bodyFor(op: SpecOperation): string | undefined {
  if (!op.body) return undefined;
  const [valid] = validBodies(op);
  return valid === undefined ? '{}' : serialize(valid);
}

/** The caller's request; every answer must be a 404 that names nothing of the victim and changes nothing. */
async function crossTenant(op: SpecOperation, req: Outgoing, victim: TenantWorld) {
  tried.set(op.key, (tried.get(op.key) ?? 0) + 1);
  const beforeAll = await storeFingerprint(world.h);
  const before = await tenantFingerprint(victim);
  const answer = await sendRequest(app, validator, req);
  const where = `${req.method} ${req.path}`;
  expect(answer.specError, where).toBeUndefined();
  expect(answer.status, `${where}: ${answer.text.slice(0, 300)}`).toBe(404);
  expect(refusalProblems(answer), where).toEqual([]);
  expect(['tenant_not_found', 'not_found'], where).toContain((answer.body as { error: { code: string } }).error.code);
  expect(traces(answer.text, victim, `${req.path} ${String(req.body ?? '')}`), where).toEqual([]);
  expect(leaks(answer.text), where).toEqual([]);
  expect(fingerprintChanges(before, await tenantFingerprint(victim)), where).toEqual([]);
  expect(fingerprintChanges(beforeAll, await storeFingerprint(world.h)), where).toEqual([]);
}

/** Resource ids for a path parameter: the world's, or those the tenant's list route gives. */
async function idsOf(t: TenantWorld, op: SpecOperation, param: string): Promise<string[]> {
  if (param === 'document_id') return [...t.documentIds];
  if (param === 'run_id') return [...t.runIds];
  if (param === 'session_id') return [...t.sessionIds];
  // A route added later: its parent list route, if openapi.yaml has one, names the tenant's ids.
  const parent = op.template.slice(0, op.template.indexOf(`/{${param}}`));
  const list = specOperations().find((o) => o.method === 'GET' && o.template === parent);
  if (!list) return [];
  const res = await sendRequest(app, validator, { method: 'GET', path: parent.replace('{tenant_id}', t.tenantId), headers: { authorization: `Bearer ${t.token}` } });
  const data = (res.body as { data?: { id?: unknown }[] } | undefined)?.data ?? [];
  return data.map((d) => d.id).filter((id): id is string => typeof id === 'string');
}

function pathWith(op: SpecOperation, tenantId: string, ids: Record<string, string>): string {
  let path = op.template.replace('{tenant_id}', encodeURIComponent(tenantId));
  for (const [name, value] of Object.entries(ids)) path = path.replace(`{${name}}`, encodeURIComponent(value));
  return path;
}

function request(op: SpecOperation, token: string, path: string): Outgoing {
  const body = bodyFor(op);
  return { method: op.method, path, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body };
}

describe('tenant isolation matrix', () => {
  it('the two tenants have real data of every kind', () => {
    for (const t of [world.a, world.b]) {
      expect(t.documents.map((d) => `${d.kind}:${d.status}`).sort()).toEqual(['credit_note:synced', 'payment:synced', 'sales_invoice:failed', 'sales_invoice:synced', 'supplier_bill:held']);
      expect(t.runIds.length).toBeGreaterThanOrEqual(2);
      expect(t.paymentIds.length).toBeGreaterThanOrEqual(1);
      expect(t.sessionIds).toHaveLength(2);
    }
  });

  for (const op of operations) {
    it(`${op.key}: tenant B's token on tenant A's path and ids is 404, naming and changing nothing of A`, async () => {
      const { a, b } = world;
      const combos = await combinations(op, a);
      for (const ids of combos) await crossTenant(op, request(op, b.token, pathWith(op, a.tenantId, ids)), a);
      // Both ways round.
      for (const ids of await combinations(op, b)) await crossTenant(op, request(op, a.token, pathWith(op, b.tenantId, ids)), b);
    });
  }

  for (const op of operations.filter((o) => idParams(o).length > 0)) {
    it(`${op.key}: tenant A's token on its own path with tenant B's ids is 404, naming and changing nothing of B`, async () => {
      const { a, b } = world;
      const combos = await combinations(op, b);
      if (combos.length === 0 || (await idsOf(b, op, idParams(op)[0]!)).length === 0) {
        console.log(`${op.key}: tenant B has no ${idParams(op).join(', ')} to try; random ids only`);
      }
      for (const ids of combos) await crossTenant(op, request(op, a.token, pathWith(op, a.tenantId, ids)), b);
      for (const ids of await combinations(op, a)) await crossTenant(op, request(op, b.token, pathWith(op, b.tenantId, ids)), a);
    });
  }

  it("ids in bodies and cursors never reach the other tenant's data", async () => {
    const { a, b } = world;
    const beforeB = await tenantFingerprint(b);
    // Bulk retry naming B's failed documents: nothing of B is retried, and nothing is named.
    const retry = await sendRequest(app, validator, {
      method: 'POST', path: `/v1/tenants/${a.tenantId}/documents/retry`,
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ids: b.failedIds }),
    });
    expect(retry.specError).toBeUndefined();
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual({ count: 0, document_ids: [] });
    // Choosing B's organisation for A's connection: refused, A keeps its own.
    const choose = await sendRequest(app, validator, {
      method: 'PUT', path: `/v1/tenants/${a.tenantId}/connection`,
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ organisation_id: b.orgId }),
    });
    expect(choose.specError).toBeUndefined();
    expect(choose.status).toBeGreaterThanOrEqual(400);
    expect(choose.status).toBeLessThan(500);
    expect(traces(choose.text, b, b.orgId)).toEqual([]);
    expect(fingerprintChanges(beforeB, await tenantFingerprint(b))).toEqual([]);

    // Every list route, paged with B's cursor on A's path: A's rows only (or the cursor refused).
    for (const op of operations.filter((o) => o.method === 'GET' && o.params.some((p) => p.in === 'query' && (p.name === 'cursor' || p.name === 'after')))) {
      const param = op.params.find((p) => p.in === 'query' && (p.name === 'cursor' || p.name === 'after'))!.name;
      if (idParams(op).length > 0) continue;
      const first = await sendRequest(app, validator, { method: 'GET', path: `${pathWith(op, b.tenantId, {})}?limit=1`, headers: { authorization: `Bearer ${b.token}` } });
      const cursor = (first.body as { next_cursor?: string | null } | undefined)?.next_cursor;
      if (typeof cursor !== 'string') continue;
      tried.set(op.key, (tried.get(op.key) ?? 0) + 1);
      const page = await sendRequest(app, validator, { method: 'GET', path: `${pathWith(op, a.tenantId, {})}?${param}=${cursor}`, headers: { authorization: `Bearer ${a.token}` } });
      expect(page.specError, op.key).toBeUndefined();
      expect(page.status, op.key).toBeLessThan(500);
      expect(traces(page.text, b, cursor), op.key).toEqual([]);
    }
  });

  it("every GET of tenant A's own data names nothing of tenant B", async () => {
    const { a, b } = world;
    for (const op of operations.filter((o) => o.method === 'GET')) {
      const combos = await combinations(op, a);
      for (const ids of combos.slice(0, 3)) {
        const path = pathWith(op, a.tenantId, ids);
        const res = await sendRequest(app, validator, { method: 'GET', path, headers: { authorization: `Bearer ${a.token}` } });
        expect(res.specError, path).toBeUndefined();
        expect(res.status, `${path}: ${res.text.slice(0, 200)}`).toBeLessThan(500);
        expect(traces(res.text, b, path), path).toEqual([]);
      }
    }
  });

  it("an Idempotency-Key tenant B used replays nothing of B's to tenant A", async () => {
    const { a, b } = world;
    const key = 'month-end-retry-shared-key';
    const post = (t: TenantWorld) => sendRequest(app, validator, {
      method: 'POST', path: `/v1/tenants/${t.tenantId}/documents/retry`,
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json', 'idempotency-key': key }, body: '{}',
    });
    const first = await post(b);
    expect(first.status).toBe(202);
    expect((first.body as { count: number }).count).toBe(b.failedIds.length);
    const other = await post(a);
    expect(other.status).toBe(202);
    expect(traces(other.text, b, key)).toEqual([]);
    expect((other.body as { document_ids: string[] }).document_ids).toEqual([...a.failedIds]);
  });
});

/**
 * The id combinations to try on `op` for the tenant whose ids they are: each of its resources
 * (a random id when it has none), one parameter at a time.
 */
async function combinations(op: SpecOperation, owner: TenantWorld): Promise<Record<string, string>[]> {
  const params = idParams(op);
  if (params.length === 0) return [{}];
  const out: Record<string, string>[] = [];
  for (const param of params) {
    const ids = await idsOf(owner, op, param);
    for (const id of ids.length > 0 ? ids : ['6f1d2c3b-0000-4000-8000-000000000000']) out.push({ ...Object.fromEntries(params.map((p) => [p, id])), [param]: id });
  }
  return out;
}
