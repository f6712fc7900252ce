import pino from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import pg from 'pg';
import { enqueuePush, PUSH_JOB_PRIORITY, pushJobKey } from '../src/jobs.ts';
import { pusherRunning, tryLockPusher, unlockPusher } from '../src/sync/push/pusher-lock.ts';
import { batchReadiness } from '../src/sync/push/gather.ts';
import { routeDocument } from '../src/sync/route-document.ts';
import type { Harness } from './helpers/harness.ts';
import { shippedInvoice } from './helpers/harness.ts';
import { connectXero, startXeroHarness } from './helpers/xero.ts';

/**
 * When a tenant's part-full batch goes (src/sync/push/gather.ts): at once for a document that
 * arrives on its own, later while the tenant's documents are still being routed or a batch went
 * moments ago. Routing is called directly with production-like settings; the harness's own jobs
 * run with a long debounce and no quiet period.
 */
let h: Harness;
let sb: XeroSandbox;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ h, sb, close } = await startXeroHarness());
});
afterAll(async () => {
  await close();
});

const settings = { pushDebounceMs: 1_000, pushQuietMs: 250 };
const policy = { full: 50, debounceMs: settings.pushDebounceMs, quietMs: settings.pushQuietMs };
const silent = pino({ level: 'silent' });

async function setup(tenantId: string) {
  const { org, token } = await connectXero(h, sb, tenantId);
  await h.request('PUT', `/v1/tenants/${tenantId}/defaults`, { token, body: { sales_invoice_account: '200', purchase_bill_account: '300' } });
  return { org };
}

async function send(tenantId: string, ids: string[]): Promise<string[]> {
  const documentIds: string[] = [];
  for (const id of ids) {
    const event = shippedInvoice({ tenantId, id });
    event.data.invoice.number = `N-${id}`; // unique at Xero
    const res = await h.sendOps(event);
    expect(res.status).toBe(202);
    documentIds.push(res.body.document_id as string);
  }
  return documentIds;
}

async function pushJob(tenantId: string): Promise<{ run_at: Date; priority: number } | undefined> {
  const { rows } = await sql<{ run_at: Date; priority: number }>`select run_at, priority from graphile_worker.jobs where key = ${pushJobKey(tenantId)} and locked_at is null`.execute(h.database.db);
  return rows[0];
}

const creates = (orgId: string) => sb.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/Invoices') && r.tenantId === orgId);

describe('gathering a batch', () => {
  it('waits while the tenant still has documents being routed, and goes once the last is routed', async () => {
    const { org } = await setup('org_gather_backlog');
    const [a, b, c] = await send('org_gather_backlog', ['g1', 'g2', 'g3']);
    const before = Date.now();
    expect(await routeDocument(h.database.db, a!, silent, settings)).toBe('queued');
    // Two more are still being routed: the push waits for them, a debounce after the first at most.
    const waiting = await pushJob('org_gather_backlog');
    expect(waiting!.run_at.getTime()).toBeGreaterThanOrEqual(before + 900);
    expect(waiting!.priority).toBe(PUSH_JOB_PRIORITY);
    expect(await routeDocument(h.database.db, b!, silent, settings)).toBe('queued');
    expect((await pushJob('org_gather_backlog'))!.run_at).toEqual(waiting!.run_at);

    expect(await routeDocument(h.database.db, c!, silent, settings)).toBe('queued');
    // The backlog is routed: the push is brought forward to now.
    expect((await pushJob('org_gather_backlog'))!.run_at.getTime()).toBeLessThanOrEqual(Date.now());

    await h.runJobs();
    expect(creates(org.OrganisationID).map((r) => (r.body as { Invoices: unknown[] }).Invoices.length)).toEqual([3]);
  });

  it('a document on its own goes at once; one right after a batch waits for others, up to the debounce', async () => {
    const { org } = await setup('org_gather_stream');
    const [first] = await send('org_gather_stream', ['s1']);
    expect(await routeDocument(h.database.db, first!, silent, settings)).toBe('queued');
    // Nothing sent before and nothing else being routed: no debounce.
    expect((await pushJob('org_gather_stream'))!.run_at.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await batchReadiness(h.database.db, 'org_gather_stream', policy, new Date())).toEqual({ kind: 'ready', why: 'quiet' });
    await h.runJobs();
    expect(creates(org.OrganisationID)).toHaveLength(1);

    // A batch went moments ago: the next document is part of a stream and gathers with others.
    const [second] = await send('org_gather_stream', ['s2']);
    const routedAt = Date.now();
    expect(await routeDocument(h.database.db, second!, silent, settings)).toBe('queued');
    const job = await pushJob('org_gather_stream');
    expect(job!.run_at.getTime()).toBeGreaterThanOrEqual(routedAt + 900);
    const readiness = await batchReadiness(h.database.db, 'org_gather_stream', policy, new Date());
    expect(readiness).toMatchObject({ kind: 'gathering', why: 'streaming', queued: 1 });

    // Once the stream has paused for the quiet period it goes; and whatever happens, at the debounce.
    const queuedAt = (await h.database.db.selectFrom('documents').select('updated_at').where('id', '=', second!).executeTakeFirstOrThrow()).updated_at;
    const { rows } = await sql<{ last: Date }>`select max(created_at) as last from push_batches where tenant_id = 'org_gather_stream'`.execute(h.database.db);
    const quietFrom = rows[0]!.last.getTime() + policy.quietMs;
    expect(await batchReadiness(h.database.db, 'org_gather_stream', policy, new Date(quietFrom))).toEqual({ kind: 'ready', why: 'quiet' });
    expect(await batchReadiness(h.database.db, 'org_gather_stream', { ...policy, quietMs: 60_000 }, new Date(queuedAt.getTime() + policy.debounceMs))).toEqual({ kind: 'ready', why: 'waited' });
    expect(await batchReadiness(h.database.db, 'org_gather_stream', { ...policy, full: 1 }, new Date())).toEqual({ kind: 'ready', why: 'full' });
  });

  it('while a pusher runs for the tenant, routing leaves the next push where it is', async () => {
    await setup('org_gather_running');
    const [a, b] = await send('org_gather_running', ['r1', 'r2']);
    const pusher = new pg.Client({ connectionString: h.dbUrl });
    await pusher.connect();
    try {
      expect(await tryLockPusher(pusher, 'org_gather_running')).toBe(true);
      expect(await pusherRunning(h.database.db, 'org_gather_running')).toBe(true);
      expect(await pusherRunning(h.database.db, 'org_gather_other')).toBe(false);
      // As a push turned away by that lock leaves it: rescheduled 2 s on.
      const later = new Date(Date.now() + 2_000);
      await enqueuePush(h.database.db, 'org_gather_running', later);
      expect(await routeDocument(h.database.db, b!, silent, settings)).toBe('queued');
      expect(await routeDocument(h.database.db, a!, silent, settings)).toBe('queued');
      expect((await pushJob('org_gather_running'))!.run_at).toEqual(later);
      await unlockPusher(pusher, 'org_gather_running');
      expect(await pusherRunning(h.database.db, 'org_gather_running')).toBe(false);
    } finally {
      await pusher.end();
    }
    // No pusher: the next routed document brings the push forward.
    const [c] = await send('org_gather_running', ['r3']);
    expect(await routeDocument(h.database.db, c!, silent, settings)).toBe('queued');
    expect((await pushJob('org_gather_running'))!.run_at.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('a tenant with nothing queued has nothing to gather', async () => {
    await setup('org_gather_empty');
    expect(await batchReadiness(h.database.db, 'org_gather_empty', policy, new Date())).toEqual({ kind: 'empty' });
  });
});
