import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent, appendEvents } from '../src/feed/append.ts';
import { FEED_EVENT_TYPES, type FeedEventType } from '../src/feed/types.ts';
import { createFeedWriter, type FeedWriter } from '../src/feed/writer.ts';
import { startHarness, type Harness } from './helpers/harness.ts';

let h: Harness;
let feed: FeedWriter;
let admin: string;
beforeAll(async () => {
  // Enough connections for 20 truly concurrent writer transactions plus the reader.
  h = await startHarness({ env: { DATABASE_POOL_SIZE: '30' } });
  feed = createFeedWriter(h.config.platformWebhook);
  admin = await h.token('*');
});
afterAll(async () => {
  await h.close();
});

interface EventJson { id: string; tenant_id: string; seq: number; type: string; occurred_at: string; data: Record<string, unknown> }

async function createTenant(id: string) {
  await h.database.db.insertInto('tenants').values({ id }).onConflict((oc) => oc.doNothing()).execute();
}

async function page(tenantId: string, query: Record<string, string> = {}, token = admin) {
  const qs = new URLSearchParams(query).toString();
  return h.request('GET', `/v1/tenants/${tenantId}/events${qs ? `?${qs}` : ''}`, { token });
}

describe('appending and paging the feed', () => {
  it('numbers events 1, 2, 3 … per tenant and pages through them with cursors', async () => {
    await createTenant('org_feed');
    const types: FeedEventType[] = ['document.synced', 'document.failed', 'contact.imported', 'purchase_order.closed', 'sync_run.finished'];
    const appended = await h.database.db.transaction().execute(async (tx) => {
      const out = [];
      for (const [i, type] of types.entries()) out.push(await feed.appendEvent(tx, 'org_feed', type, { n: i }));
      return out;
    });
    expect(appended.map((a) => a.seq)).toEqual([1, 2, 3, 4, 5]);

    const first = await page('org_feed', { limit: '2' });
    expect(first.status).toBe(200);
    expect(first.body.data.map((e: EventJson) => e.seq)).toEqual([1, 2]);
    expect(first.body.has_more).toBe(true);
    expect(first.body.data[0]).toEqual({
      id: appended[0]!.id,
      tenant_id: 'org_feed',
      seq: 1,
      type: 'document.synced',
      occurred_at: expect.any(String),
      data: { n: 0 },
    });

    const second = await page('org_feed', { limit: '2', after: first.body.next_cursor });
    expect(second.body.data.map((e: EventJson) => e.seq)).toEqual([3, 4]);
    expect(second.body.has_more).toBe(true);
    const third = await page('org_feed', { limit: '2', after: second.body.next_cursor });
    expect(third.body.data.map((e: EventJson) => e.type)).toEqual(['sync_run.finished']);
    expect(third.body.has_more).toBe(false);

    // Nothing new: the cursor given comes back, so the platform polls on from it.
    const empty = await page('org_feed', { after: third.body.next_cursor });
    expect(empty.body).toEqual({ data: [], next_cursor: third.body.next_cursor, has_more: false });

    // A later event shows up after that same cursor.
    await h.database.db.transaction().execute((tx) => feed.appendEvent(tx, 'org_feed', 'connection.needs_reauth', { reason: 'refresh refused' }));
    const later = await page('org_feed', { after: empty.body.next_cursor });
    expect(later.body.data.map((e: EventJson) => [e.seq, e.type])).toEqual([[6, 'connection.needs_reauth']]);

    // Default page: everything from the start, 100 at most.
    const all = await page('org_feed');
    expect(all.body.data.map((e: EventJson) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('an empty feed without a cursor returns a cursor for the start of the feed', async () => {
    await createTenant('org_quiet');
    const res = await page('org_quiet');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
    expect(res.body.has_more).toBe(false);
    await h.database.db.transaction().execute((tx) => feed.appendEvent(tx, 'org_quiet', 'contact.changed', { id: 'c1' }));
    const next = await page('org_quiet', { after: res.body.next_cursor });
    expect(next.body.data.map((e: EventJson) => e.seq)).toEqual([1]);
  });

  it('an event exists only if the transaction that appended it committed (and leaves no gap)', async () => {
    await createTenant('org_rollback');
    await expect(
      h.database.db.transaction().execute(async (tx) => {
        await feed.appendEvent(tx, 'org_rollback', 'document.synced', { doomed: true });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const kept = await h.database.db.transaction().execute((tx) => feed.appendEvent(tx, 'org_rollback', 'document.synced', { kept: true }));
    expect(kept.seq).toBe(1);
    const res = await page('org_rollback');
    expect(res.body.data.map((e: EventJson) => e.data)).toEqual([{ kept: true }]);
  });

  it('appendEvents numbers a batch in order with one counter update', async () => {
    await createTenant('org_batch');
    const out = await h.database.db.transaction().execute((tx) =>
      appendEvents(tx, 'org_batch', FEED_EVENT_TYPES.map((type, i) => ({ type, data: { i } })), { deliver: false }),
    );
    expect(out.map((e) => e.seq)).toEqual(FEED_EVENT_TYPES.map((_, i) => i + 1));
    const res = await page('org_batch', { limit: '500' });
    expect(res.body.data.map((e: EventJson) => e.type)).toEqual([...FEED_EVENT_TYPES]);
  });

  it('validates before looking the tenant up: 400 invalid_cursor, 400 validation_failed, 404 tenant_not_found', async () => {
    expect((await page('org_feed', { after: 'bm90LWEtY3Vyc29y' })).body.error.code).toBe('invalid_cursor');
    expect((await page('org_feed', { after: '!!' })).body.error.code).toBe('invalid_cursor');
    for (const limit of ['0', '501', 'ten']) {
      const res = await page('org_feed', { limit });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    expect((await page('org_nobody')).body.error.code).toBe('tenant_not_found');
    expect((await page('org_nobody', { limit: '0' })).body.error.code).toBe('validation_failed');
  });

  it("needs a token for the tenant; another tenant's feed looks absent", async () => {
    expect((await h.request('GET', '/v1/tenants/org_feed/events')).status).toBe(401);
    const other = await h.token('org_quiet');
    const res = await page('org_feed', {}, other);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('tenant_not_found');
    expect((await page('org_quiet', {}, other)).status).toBe(200);
  });
});

describe('ordering under concurrent writers', () => {
  it('a poller following the cursor sees every committed event exactly once, in seq order', async () => {
    await createTenant('org_busy');
    const writers = 20;
    const committed: string[] = [];
    let done = false;

    const writer = async (w: number) => {
      await sleep(Math.random() * 20);
      const mine: string[] = [];
      try {
        await h.database.db.transaction().execute(async (tx) => {
          const count = 1 + (w % 3);
          for (let i = 0; i < count; i++) {
            mine.push((await feed.appendEvent(tx, 'org_busy', 'document.synced', { writer: w, i })).id);
            await sleep(Math.random() * 15);
          }
          // Hold the transaction open a little before committing, so commits interleave with reads.
          await sleep(Math.random() * 30);
          if (w % 7 === 6) throw new Error('rolled back');
        });
        committed.push(...mine);
      } catch (error) {
        if ((error as Error).message !== 'rolled back') throw error;
      }
    };

    const seen: EventJson[] = [];
    let polls = 0;
    const reader = async () => {
      let cursor: string | undefined;
      const poll = async () => {
        polls++;
        const res = await page('org_busy', { limit: '3', ...(cursor ? { after: cursor } : {}) });
        expect(res.status).toBe(200);
        seen.push(...res.body.data);
        cursor = res.body.next_cursor;
        return res.body as { data: EventJson[]; has_more: boolean };
      };
      while (!done) {
        await poll();
        await sleep(Math.random() * 5);
      }
      // Drain what committed after the last poll.
      while ((await poll()).data.length > 0);
    };

    const reading = reader();
    await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
    done = true;
    await reading;

    const ids = seen.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length); // nothing repeated
    expect(new Set(ids)).toEqual(new Set(committed)); // nothing skipped, nothing uncommitted
    expect(seen.map((e) => e.seq)).toEqual(seen.map((_, i) => i + 1)); // in order, no gaps
    expect(seen.length).toBeGreaterThan(20);
    expect(polls).toBeGreaterThan(5);
  });
});

describe('tenants are independent', () => {
  it('each tenant has its own sequence and sees only its own events', async () => {
    await createTenant('org_a');
    await createTenant('org_b');
    await Promise.all([
      ...[1, 2, 3].map((n) => h.database.db.transaction().execute((tx) => appendEvent(tx, 'org_a', 'contact.imported', { n }, { deliver: false }))),
      ...[1, 2].map((n) => h.database.db.transaction().execute((tx) => appendEvent(tx, 'org_b', 'purchase_order.imported', { n }, { deliver: false }))),
    ]);
    const a = await page('org_a');
    const b = await page('org_b');
    expect(a.body.data.map((e: EventJson) => [e.tenant_id, e.seq, e.type])).toEqual([
      ['org_a', 1, 'contact.imported'],
      ['org_a', 2, 'contact.imported'],
      ['org_a', 3, 'contact.imported'],
    ]);
    expect(b.body.data.map((e: EventJson) => [e.tenant_id, e.seq, e.type])).toEqual([
      ['org_b', 1, 'purchase_order.imported'],
      ['org_b', 2, 'purchase_order.imported'],
    ]);
    // One tenant's open transaction does not hold up another tenant's appends.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = h.database.db.transaction().execute(async (tx) => {
      await appendEvent(tx, 'org_a', 'contact.changed', {}, { deliver: false });
      await held;
    });
    await sleep(20);
    const quick = await h.database.db.transaction().execute((tx) => appendEvent(tx, 'org_b', 'contact.changed', {}, { deliver: false }));
    expect(quick.seq).toBe(3);
    release();
    await slow;
    // Without a platform webhook configured nothing is scheduled for delivery.
    const jobs = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs j
      join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'deliver_events'`.execute(h.database.db);
    expect(jobs.rows[0]!.n).toBe(0);
  });
});
