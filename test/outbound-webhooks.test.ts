import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { deliveryBackoffMs } from '../src/feed/backoff.ts';
import { deliverTenantEvents } from '../src/feed/deliver.ts';
import { createFeedWriter, type FeedWriter } from '../src/feed/writer.ts';
import { startHarness, testEnv, type Harness } from './helpers/harness.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

interface Received {
  headers: Record<string, string>;
  body: string;
  /** What `standardwebhooks` verified and parsed, as the platform's receiver would. */
  payload: { type: string; timestamp: string; data: { id: string; tenant_id: string; seq: number; type: string; occurred_at: string; data: Record<string, unknown> } };
}

/** The platform's endpoint: verifies every delivery with the standardwebhooks package. */
async function startReceiver(answer: (n: number) => number) {
  const received: Received[] = [];
  const rejected: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      try {
        const payload = new Webhook(SECRET).verify(body, headers) as Received['payload'];
        received.push({ headers, body, payload });
      } catch (error) {
        rejected.push((error as Error).message);
        res.writeHead(400).end('bad signature');
        return;
      }
      const status = answer(received.length);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? 'platform is down' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ledgerport/events`,
    received,
    rejected,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const deliverJobs = async (h: Harness, tenantId: string) =>
  (await sql<{ run_at: Date; locked_at: Date | null }>`select j.run_at, j.locked_at from graphile_worker._private_jobs j
     join graphile_worker._private_tasks t on t.id = j.task_id
     where t.identifier = 'deliver_events' and j.payload->>'tenant_id' = ${tenantId}`.execute(h.database.db)).rows;

const eventsOf = (h: Harness, tenantId: string) =>
  h.database.db.selectFrom('outbound_events').selectAll().where('tenant_id', '=', tenantId).orderBy('seq').execute();

/**
 * Runs the due jobs, then waits until their completion is written: graphile-worker's runOnce
 * resolves once each task returned, and completes (deletes) a finished job without waiting.
 */
async function runJobs(h: Harness) {
  await h.runJobs();
  for (let i = 0; i < 100; i++) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs where locked_at is not null`.execute(h.database.db);
    if (rows[0]!.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('jobs stayed locked');
}

async function createTenant(h: Harness, id: string) {
  await h.database.db.insertInto('tenants').values({ id }).onConflict((oc) => oc.doNothing()).execute();
}

describe('outbound webhooks to the platform', () => {
  let h: Harness;
  let feed: FeedWriter;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    // The platform answers 500 to the very first delivery, then accepts.
    receiver = await startReceiver((n) => (n === 1 ? 500 : 200));
    h = await startHarness({ env: { PLATFORM_WEBHOOK_URL: receiver.url, PLATFORM_WEBHOOK_SECRET: SECRET } });
    feed = createFeedWriter(h.config.platformWebhook);
  });
  afterAll(async () => {
    await h.close();
    await receiver.close();
  });

  it('retries after a 500 with the same webhook-id, in order, holding later events back', async () => {
    expect(feed.delivers).toBe(true);
    await createTenant(h, 'org_hooks');
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const { id } = await h.database.db.transaction().execute((tx) => feed.appendEvent(tx, 'org_hooks', 'document.synced', { document_id: `doc_${n}` }));
      ids.push(id);
    }
    // One keyed delivery job per tenant, however many events.
    expect(await deliverJobs(h, 'org_hooks')).toHaveLength(1);

    // First run: the platform answers 500 to the first event; the others wait behind it.
    const before = Date.now();
    await runJobs(h);
    expect(receiver.rejected).toEqual([]);
    expect(receiver.received.map((r) => r.headers['webhook-id'])).toEqual([ids[0]]);
    let rows = await eventsOf(h, 'org_hooks');
    expect(rows.map((r) => [r.delivered_at !== null, r.delivery_attempts])).toEqual([[false, 1], [false, 0], [false, 0]]);
    expect(rows[0]!.last_delivery_error).toBe('HTTP 500: platform is down');
    // Backoff with jitter: the first retry is 1–2 s later, and the tenant's job is scheduled then.
    const retryAt = rows[0]!.next_attempt_at!.getTime();
    expect(retryAt).toBeGreaterThanOrEqual(before + 1_000);
    expect(retryAt).toBeLessThanOrEqual(Date.now() + 2_000);
    const [job] = await deliverJobs(h, 'org_hooks');
    expect(job!.run_at.getTime()).toBe(retryAt);

    // A new event does not cut the backoff short (the pending job keeps its run_at) …
    const { id: fourth } = await h.database.db.transaction().execute((tx) => feed.appendEvent(tx, 'org_hooks', 'sync_run.finished', { run_id: 'run_1' }));
    ids.push(fourth);
    expect((await deliverJobs(h, 'org_hooks')).map((j) => j.run_at.getTime())).toEqual([retryAt]);
    // … and a job that wakes early finds the event still waiting and sends nothing.
    await sql`update graphile_worker._private_jobs set run_at = now() where payload->>'tenant_id' = 'org_hooks'`.execute(h.database.db);
    await runJobs(h);
    expect(receiver.received).toHaveLength(1);
    expect((await deliverJobs(h, 'org_hooks')).map((j) => j.run_at.getTime())).toEqual([retryAt]);

    // Retry time: move it to now (the backoff itself is asserted above) and run the jobs again.
    await sql`update outbound_events set next_attempt_at = now() where tenant_id = 'org_hooks'`.execute(h.database.db);
    await sql`update graphile_worker._private_jobs set run_at = now() where payload->>'tenant_id' = 'org_hooks'`.execute(h.database.db);
    await runJobs(h);

    expect(receiver.rejected).toEqual([]);
    const deliveries = receiver.received.map((r) => r.headers['webhook-id']);
    // The failed event again, with the same webhook-id, then the rest in seq order.
    expect(deliveries).toEqual([ids[0], ids[0], ids[1], ids[2], ids[3]]);
    expect(receiver.received.map((r) => r.payload.data.seq)).toEqual([1, 1, 2, 3, 4]);
    rows = await eventsOf(h, 'org_hooks');
    expect(rows.map((r) => [r.delivered_at !== null, r.delivery_attempts])).toEqual([[true, 2], [true, 1], [true, 1], [true, 1]]);
    expect(rows[0]!.next_attempt_at).toBeNull();
    expect(await deliverJobs(h, 'org_hooks')).toEqual([]);

    // The body is {type, timestamp, data: event}, the event as the feed API returns it.
    const last = receiver.received.at(-1)!;
    const feedPage = await h.request('GET', '/v1/tenants/org_hooks/events', { token: await h.token('org_hooks') });
    expect(last.payload).toEqual({ type: 'sync_run.finished', timestamp: feedPage.body.data[3].occurred_at, data: feedPage.body.data[3] });
    expect(last.payload.data).toMatchObject({ id: fourth, tenant_id: 'org_hooks', seq: 4, data: { run_id: 'run_1' } });
    expect(last.headers['content-type']).toBe('application/json');
    expect(Math.abs(Number(last.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    // The secret never reaches the logs.
    expect(h.logs.text).not.toContain(SECRET.slice(6));
  });

  it('records network failures through the injected fetch and keeps order', async () => {
    await createTenant(h, 'org_net');
    await h.database.db.transaction().execute((tx) =>
      feed.appendEvents(tx, 'org_net', [{ type: 'contact.imported', data: { n: 1 } }, { type: 'contact.changed', data: { n: 2 } }]),
    );
    const calls: string[] = [];
    const deps = {
      db: h.database.db,
      pool: h.database.pool,
      logger: h.ctx.logger,
      now: () => new Date(),
      fetch: async (_url: string, init: { headers: Record<string, string> }) => {
        calls.push(init.headers['webhook-id']!);
        throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') });
      },
    };
    const result = await deliverTenantEvents(deps, { url: 'http://127.0.0.1:9/', secret: SECRET }, 'org_net');
    expect(result).toMatchObject({ kind: 'reschedule', reason: 'delivery failed', delivered: 0 });
    expect(calls).toHaveLength(1);
    const rows = await eventsOf(h, 'org_net');
    expect(rows.map((r) => r.delivery_attempts)).toEqual([1, 0]);
    expect(rows[0]!.last_delivery_error).toBe('request failed: fetch failed (connect ECONNREFUSED 127.0.0.1:9)');
  });

  it('runs one deliverer per tenant: a second one reschedules instead of sending', async () => {
    await createTenant(h, 'org_locked');
    await h.database.db.transaction().execute((tx) => feed.appendEvent(tx, 'org_locked', 'document.failed', {}));
    const other = new pg.Client({ connectionString: h.dbUrl });
    await other.connect();
    try {
      await other.query(`select pg_advisory_lock(hashtextextended('deliver_events:' || $1, 0))`, ['org_locked']);
      let sent = 0;
      const deps = {
        db: h.database.db,
        pool: h.database.pool,
        logger: h.ctx.logger,
        now: () => new Date(),
        fetch: async () => {
          sent++;
          return { status: 200, text: async () => '' };
        },
      };
      const result = await deliverTenantEvents(deps, { url: receiver.url, secret: SECRET }, 'org_locked');
      expect(result).toMatchObject({ kind: 'reschedule', reason: 'another run is delivering for this tenant' });
      expect(sent).toBe(0);
    } finally {
      await other.end();
    }
  });
});

describe('without PLATFORM_WEBHOOK_URL', () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver(() => 200);
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
    await receiver.close();
  });

  it('keeps the feed but schedules and sends nothing', async () => {
    expect(h.config.platformWebhook).toEqual({ url: undefined, secret: undefined });
    const feed = createFeedWriter(h.config.platformWebhook);
    expect(feed.delivers).toBe(false);
    await createTenant(h, 'org_silent');
    await h.database.db.transaction().execute((tx) => feed.appendEvent(tx, 'org_silent', 'document.synced', { document_id: 'd1' }));
    expect(await deliverJobs(h, 'org_silent')).toEqual([]);
    // Even a stray job (e.g. left from a time it was configured) sends nothing.
    await sql`select graphile_worker.add_job('deliver_events', json_build_object('tenant_id', 'org_silent'))`.execute(h.database.db);
    await runJobs(h);
    expect(receiver.received).toEqual([]);
    const [row] = await eventsOf(h, 'org_silent');
    expect(row).toMatchObject({ delivered_at: null, delivery_attempts: 0 });
    const page = await h.request('GET', '/v1/tenants/org_silent/events', { token: await h.token('org_silent') });
    expect(page.body.data).toHaveLength(1);
  });
});

describe('configuration and backoff', () => {
  it('requires PLATFORM_WEBHOOK_URL and PLATFORM_WEBHOOK_SECRET together', () => {
    const problems = (extra: Record<string, string>) => {
      try {
        loadConfig(testEnv('postgres://localhost/x', extra));
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ PLATFORM_WEBHOOK_URL: 'https://platform.test/hooks' }).join('\n')).toMatch(/PLATFORM_WEBHOOK_URL and PLATFORM_WEBHOOK_SECRET/);
    expect(problems({ PLATFORM_WEBHOOK_SECRET: SECRET }).join('\n')).toMatch(/PLATFORM_WEBHOOK_URL and PLATFORM_WEBHOOK_SECRET/);
    expect(problems({ PLATFORM_WEBHOOK_URL: 'not a url', PLATFORM_WEBHOOK_SECRET: 'nope' })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^PLATFORM_WEBHOOK_URL: /), expect.stringMatching(/^PLATFORM_WEBHOOK_SECRET: /)]),
    );
    const config = loadConfig(testEnv('postgres://localhost/x', { PLATFORM_WEBHOOK_URL: 'https://platform.test/hooks', PLATFORM_WEBHOOK_SECRET: SECRET }));
    expect(config.platformWebhook).toEqual({ url: 'https://platform.test/hooks', secret: SECRET });
  });

  it('backs off exponentially with full jitter above a 1 s floor, capped at 10 minutes', () => {
    expect([deliveryBackoffMs(1, () => 0), deliveryBackoffMs(1, () => 1)]).toEqual([1_000, 2_000]);
    expect(deliveryBackoffMs(2, () => 1)).toBe(4_000);
    expect(deliveryBackoffMs(5, () => 1)).toBe(32_000);
    expect(deliveryBackoffMs(50, () => 1)).toBe(600_000);
    expect(deliveryBackoffMs(50, () => 0.5)).toBe(300_500);
  });
});
