import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, type Runner, type WorkerEvents } from 'graphile-worker';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseHandle } from '../src/db/database.ts';
import { enqueueOnce, enqueuePush, nudgeWorkersAt, PUSH_JOB_PRIORITY, pullPushForward, pushJobKey } from '../src/jobs.ts';
import { graphileLogger } from '../src/worker.ts';
import { createTestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';

/*
 * How push jobs are scheduled (src/jobs.ts): the keyed job's run_at as graphile-worker stores it,
 * and the notifications that wake graphile-worker when a job scheduled for later comes due.
 */

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let database: DatabaseHandle;
const logger = pino({ level: 'silent' });
beforeAll(async () => {
  testDb = await createTestDatabase();
  database = createDatabase({ connectionString: testDb.url, poolSize: 4, logger });
});
afterAll(async () => {
  await database?.close();
  await testDb?.drop();
});

let tenantSeq = 0;
const newTenant = () => `org_sched_${++tenantSeq}_${Date.now()}`;

interface JobRow {
  id: string;
  key: string | null;
  run_at: Date;
  locked_at: Date | null;
  priority: number;
  attempts: number;
  max_attempts: number;
  /** Bumped by every add_jobs that updates the row (a row lock a pending job is spared). */
  revision: number;
}

/** Every graphile-worker job (pending, running or failed) for the tenant's push or refresh, oldest first. */
async function jobsFor(task: string, tenantId: string): Promise<JobRow[]> {
  const { rows } = await sql<JobRow>`
    select j.id, j.key, j.run_at, j.locked_at, j.priority, j.attempts, j.max_attempts, j.revision
    from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
    where t.identifier = ${task} and j.payload->>'tenant_id' = ${tenantId} order by j.id`.execute(database.db);
  return rows;
}
const pushJobs = (tenantId: string) => jobsFor('push_documents', tenantId);

const inMs = (ms: number) => new Date(Date.now() + ms);

describe('pullPushForward', () => {
  it('adds the push job when the tenant has none', async () => {
    const tenant = newTenant();
    const runAt = inMs(5_000);
    await pullPushForward(database.db, tenant, runAt);
    expect(await pushJobs(tenant)).toEqual([
      expect.objectContaining({ key: pushJobKey(tenant), run_at: runAt, locked_at: null, priority: PUSH_JOB_PRIORITY }),
    ]);
  });

  it('brings a later pending job forward to runAt', async () => {
    const tenant = newTenant();
    await enqueuePush(database.db, tenant, inMs(60_000));
    const [later] = await pushJobs(tenant);
    const runAt = inMs(2_000);
    await pullPushForward(database.db, tenant, runAt);
    // The same job, now due at runAt: not a second one.
    expect(await pushJobs(tenant)).toEqual([expect.objectContaining({ id: later!.id, run_at: runAt, priority: PUSH_JOB_PRIORITY })]);
  });

  it('leaves an earlier pending job alone', async () => {
    const tenant = newTenant();
    const earlier = inMs(1_000);
    await enqueuePush(database.db, tenant, earlier);
    const before = await pushJobs(tenant);
    await pullPushForward(database.db, tenant, inMs(30_000));
    await pullPushForward(database.db, tenant, earlier);
    expect(await pushJobs(tenant)).toEqual(before);
    expect(before).toEqual([expect.objectContaining({ run_at: earlier })]);
  });
});

describe('enqueuePush and enqueueOnce', () => {
  it('an already pending push keeps its earlier time, and no second job is added', async () => {
    const tenant = newTenant();
    const first = inMs(1_000);
    await enqueuePush(database.db, tenant, first);
    await enqueuePush(database.db, tenant, inMs(30_000));
    expect(await pushJobs(tenant)).toEqual([
      expect.objectContaining({ key: pushJobKey(tenant), run_at: first, priority: PUSH_JOB_PRIORITY, revision: 0 }),
    ]);
  });

  it('a burst of transactions asking for the same push leaves one job at the first time', async () => {
    const tenant = newTenant();
    const first = inMs(1_000);
    await enqueuePush(database.db, tenant, first);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => database.db.transaction().execute((tx) => enqueuePush(tx, tenant, inMs(2_000 + i)))),
    );
    expect(await pushJobs(tenant)).toEqual([expect.objectContaining({ run_at: first, revision: 0 })]);
  });

  it('when two transactions both find none pending, the job keeps the first one’s time', async () => {
    const tenant = newTenant();
    const first = inMs(1_000);
    let commitFirst!: () => void;
    const firstAdded = Promise.withResolvers<void>();
    const firstTx = database.db.transaction().execute(async (tx) => {
      await enqueuePush(tx, tenant, first);
      firstAdded.resolve();
      await new Promise<void>((resolve) => (commitFirst = resolve));
    });
    await firstAdded.promise;
    // The second cannot see the uncommitted job, so it adds one and waits on the first's key.
    const second = database.db.transaction().execute((tx) => enqueuePush(tx, tenant, inMs(30_000)));
    await waitFor(async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(database.db);
      return rows[0]!.n > 0 ? true : undefined;
    }, 10_000);
    commitFirst();
    await Promise.all([firstTx, second]);
    expect(await pushJobs(tenant)).toEqual([expect.objectContaining({ run_at: first })]);
  });

  it('enqueueOnce does the same for any keyed job', async () => {
    const tenant = newTenant();
    const jobKey = `refresh_invoices:${tenant}`;
    const first = inMs(2_000);
    await enqueueOnce(database.db, { task: 'refresh_invoices', payload: { tenant_id: tenant }, jobKey, runAt: first });
    await enqueueOnce(database.db, { task: 'refresh_invoices', payload: { tenant_id: tenant }, jobKey, runAt: inMs(10_000) });
    expect(await jobsFor('refresh_invoices', tenant)).toEqual([expect.objectContaining({ key: jobKey, run_at: first, revision: 0 })]);
  });
});

/** Collects nudges (pg_notify('jobs:insert', '{"count":1}')) heard on the test database, with when they arrived. */
async function listenForNudges(): Promise<{ arrivals: number[]; close: () => Promise<void> }> {
  const client = new pg.Client({ connectionString: testDb.url });
  const errors: Error[] = [];
  client.on('error', (error) => errors.push(error));
  const arrivals: number[] = [];
  // add_jobs notifies on the same channel, but with a random "r" in its payload.
  client.on('notification', (message) => {
    if (message.channel === 'jobs:insert' && message.payload === '{"count":1}') arrivals.push(Date.now());
  });
  await client.connect();
  await client.query('LISTEN "jobs:insert"');
  return {
    arrivals,
    close: async () => {
      await client.end();
      expect(errors).toEqual([]);
    },
  };
}

const NUDGE_SLOT_MS = 25;
/** The end of a 25 ms nudge slot at least `aheadMs` from now: runAts in (end − 25, end] share its slot. */
const slotEndIn = (aheadMs: number) => Math.ceil((Date.now() + aheadMs) / NUDGE_SLOT_MS) * NUDGE_SLOT_MS;

describe('nudgeWorkersAt', () => {
  // A pool per test: nudges are coalesced per pool.
  const openPool = () => new pg.Pool({ connectionString: testDb.url, max: 2 });

  it('sends one notification for 100 calls in one slot, and not before runAt', async () => {
    const listener = await listenForNudges();
    const pool = openPool();
    try {
      const slotEnd = slotEndIn(300);
      for (let i = 0; i < 100; i++) nudgeWorkersAt(pool, new Date(slotEnd - (i % NUDGE_SLOT_MS)));
      await waitFor(async () => (listener.arrivals.length > 0 ? true : undefined), 5_000);
      // Any further notification for the same slot would follow within a few milliseconds.
      await sleep(300);
      expect(listener.arrivals).toHaveLength(1);
      expect(listener.arrivals[0]).toBeGreaterThanOrEqual(slotEnd);
    } finally {
      await pool.end();
      await listener.close();
    }
  });

  it('sends one notification per slot, each once its slot has come', async () => {
    const listener = await listenForNudges();
    const pool = openPool();
    try {
      const firstEnd = slotEndIn(300);
      const secondEnd = firstEnd + NUDGE_SLOT_MS;
      // Interleaved, and the later slot asked for first.
      for (let i = 0; i < 50; i++) {
        nudgeWorkersAt(pool, new Date(secondEnd - (i % NUDGE_SLOT_MS)));
        nudgeWorkersAt(pool, new Date(firstEnd - (i % NUDGE_SLOT_MS)));
      }
      await waitFor(async () => (listener.arrivals.length >= 2 ? true : undefined), 5_000);
      await sleep(300);
      expect(listener.arrivals).toHaveLength(2);
      expect(listener.arrivals[0]).toBeGreaterThanOrEqual(firstEnd);
      expect(listener.arrivals[1]).toBeGreaterThanOrEqual(secondEnd);
    } finally {
      await pool.end();
      await listener.close();
    }
  });

  it('coalesces per pool: each pool that asks for a slot sends its own notification', async () => {
    const listener = await listenForNudges();
    const pools = [openPool(), openPool()];
    try {
      const slotEnd = slotEndIn(300);
      for (let i = 0; i < 10; i++) for (const pool of pools) nudgeWorkersAt(pool, new Date(slotEnd - i));
      await waitFor(async () => (listener.arrivals.length >= 2 ? true : undefined), 5_000);
      await sleep(300);
      expect(listener.arrivals).toHaveLength(2);
      for (const at of listener.arrivals) expect(at).toBeGreaterThanOrEqual(slotEnd);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await listener.close();
    }
  });

  it('sends nothing for a time that has come or passed', async () => {
    const listener = await listenForNudges();
    const pool = openPool();
    try {
      const now = Date.now();
      nudgeWorkersAt(pool, new Date(now), now);
      nudgeWorkersAt(pool, new Date(now - 1), now);
      nudgeWorkersAt(pool, new Date(now - 5_000), now);
      // A control in the same pool, well after them: once it is heard, theirs would have been too.
      const controlEnd = slotEndIn(200);
      nudgeWorkersAt(pool, new Date(controlEnd));
      await waitFor(async () => (listener.arrivals.length > 0 ? true : undefined), 5_000);
      await sleep(100);
      expect(listener.arrivals).toHaveLength(1);
      expect(listener.arrivals[0]).toBeGreaterThanOrEqual(controlEnd);
    } finally {
      await pool.end();
      await listener.close();
    }
  });
});

/**
 * A real graphile-worker runner with the production worker settings (src/worker.ts) except a
 * 60 s poll, so that within a test only a notification can make it look for due jobs. Its tasks
 * record when they ran; `holds` keeps a tenant's task running until released, `failing` makes it throw.
 */
describe('with a graphile-worker runner', () => {
  let runner: Runner;
  const ran: { task: string; tenantId: string; at: number }[] = [];
  const holds = new Map<string, Promise<void>>();
  const failing = new Set<string>();
  const task = (name: string) => async (payload: unknown) => {
    const tenantId = (payload as { tenant_id: string }).tenant_id;
    ran.push({ task: name, tenantId, at: Date.now() });
    await holds.get(tenantId);
    if (failing.has(tenantId)) throw new Error(`${name} failed on purpose`);
  };
  const runsOf = (tenantId: string) => ran.filter((r) => r.tenantId === tenantId);

  beforeAll(async () => {
    const events: WorkerEvents = new EventEmitter();
    const listening = new Promise<void>((resolve) => events.once('pool:listen:success', () => resolve()));
    runner = await run({
      pgPool: database.pool,
      concurrency: 2,
      noHandleSignals: true,
      logger: graphileLogger(logger),
      events,
      taskList: { push_documents: task('push_documents'), refresh_invoices: task('refresh_invoices') },
      preset: { worker: { localQueue: { size: 8 }, completeJobBatchDelay: 5, failJobBatchDelay: 5, pollInterval: 60_000 } },
    });
    await listening;
  });
  afterAll(async () => {
    await runner?.stop();
  });

  it('a job due 300 ms ahead runs when nudged, long before the next poll', async () => {
    const tenant = newTenant();
    const runAt = inMs(300);
    await pullPushForward(database.db, tenant, runAt);
    nudgeWorkersAt(database.pool, runAt);
    const run = await waitFor(async () => runsOf(tenant)[0], 10_000);
    expect(run.at).toBeGreaterThanOrEqual(runAt.getTime() - 5); // the two clocks may round apart
    expect(runsOf(tenant)).toHaveLength(1);
  });

  it('(control) without the nudge the same job waits for the poll', async () => {
    const tenant = newTenant();
    const runAt = inMs(300);
    await pullPushForward(database.db, tenant, runAt);
    await sleep(2_000);
    expect(runsOf(tenant)).toEqual([]);
    expect(await pushJobs(tenant)).toEqual([expect.objectContaining({ run_at: runAt, locked_at: null })]);
    await sql`select graphile_worker.remove_job(${pushJobKey(tenant)})`.execute(database.db);
  });

  it('pullPushForward leaves a running push alone and adds the next one for runAt', async () => {
    const tenant = newTenant();
    let release!: () => void;
    holds.set(tenant, new Promise<void>((resolve) => (release = resolve)));
    await pullPushForward(database.db, tenant, new Date());
    await waitFor(async () => runsOf(tenant)[0], 10_000);
    const [running] = await pushJobs(tenant);
    expect(running).toMatchObject({ locked_at: expect.any(Date) });

    const next = inMs(30_000);
    await pullPushForward(database.db, tenant, next);
    // A second call while it still runs finds the new pending job, earlier than this, and keeps it.
    await pullPushForward(database.db, tenant, inMs(45_000));
    const jobs = await pushJobs(tenant);
    expect(jobs).toHaveLength(2);
    expect(jobs[0]).toMatchObject({ id: running!.id, run_at: running!.run_at, locked_at: running!.locked_at });
    expect(jobs[1]).toMatchObject({ key: pushJobKey(tenant), run_at: next, locked_at: null, priority: PUSH_JOB_PRIORITY });

    release();
    // The running job completes (and is deleted); the next one waits for its time.
    await waitFor(async () => ((await pushJobs(tenant)).length === 1 ? true : undefined), 10_000);
    expect(await pushJobs(tenant)).toEqual([jobs[1]]);
    expect(runsOf(tenant)).toHaveLength(1);
    await sql`select graphile_worker.remove_job(${pushJobKey(tenant)})`.execute(database.db);
  });

  /** Leaves the tenant's push job permanently failed, as 25 failed attempts would, key still set. */
  async function failPushPermanently(tenant: string): Promise<void> {
    failing.add(tenant);
    await enqueueOnce(database.db, { task: 'push_documents', payload: { tenant_id: tenant }, jobKey: pushJobKey(tenant), maxAttempts: 1 });
    await waitFor(async () => {
      const [job] = await pushJobs(tenant);
      return job && job.attempts === 1 && job.locked_at === null ? job : undefined;
    }, 10_000);
    failing.delete(tenant);
  }

  // A keyed job that used up its attempts stays in graphile-worker's jobs view with its key and
  // locked_at null; taken for a pending job, the tenant's pushes (routing, retries, the sweep) or
  // invoice refreshes would stop for good. add_jobs replaces it.
  it('enqueuePush after the push job has permanently failed schedules one that runs', async () => {
    const tenant = newTenant();
    await failPushPermanently(tenant);
    await enqueuePush(database.db, tenant, new Date());
    await waitFor(async () => (runsOf(tenant).length === 2 ? true : undefined), 5_000);
  });

  // The same for pullPushForward: graphile-worker left the failed job's run_at at its next-retry
  // time (here about 2.7 s ahead), so a later runAt would read as "an earlier pending job".
  it('pullPushForward after the push job has permanently failed schedules one that runs', async () => {
    const tenant = newTenant();
    await failPushPermanently(tenant);
    const runAt = inMs(5_000);
    await pullPushForward(database.db, tenant, runAt);
    nudgeWorkersAt(database.pool, runAt);
    await waitFor(async () => (runsOf(tenant).length === 2 ? true : undefined), 10_000);
  });
});
