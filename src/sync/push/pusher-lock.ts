import { sql } from 'kysely';
import type pg from 'pg';
import type { Database, Tx } from '../../db/database.ts';

/**
 * One pusher per tenant across all processes: a session advisory lock on this key, released by
 * PostgreSQL if the process dies. Not graphile-worker's job row: adding a job with the running
 * push's key takes the key off that job, so the job table cannot tell whether a push runs.
 */
const LOCK_KEY = `hashtextextended('push:' || $1, 0)`;

export async function tryLockPusher(client: pg.ClientBase, tenantId: string): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>(`select pg_try_advisory_lock(${LOCK_KEY}) as locked`, [tenantId]);
  return rows[0]?.locked === true;
}

export async function unlockPusher(client: pg.ClientBase, tenantId: string): Promise<void> {
  await client.query(`select pg_advisory_unlock(${LOCK_KEY})`, [tenantId]);
}

/** Whether some process holds the tenant's pusher lock (pg_locks splits the 64-bit key in two). */
export async function pusherRunning(db: Database | Tx, tenantId: string): Promise<boolean> {
  const { rows } = await sql<{ running: boolean }>`
    with k as (select hashtextextended('push:' || ${tenantId}, 0) as key)
    select exists (
      select 1 from pg_locks l, k
       where l.locktype = 'advisory' and l.objsubid = 1 and l.granted
         and l.database = (select oid from pg_database where datname = current_database())
         and l.classid = ((k.key >> 32) & 4294967295)::oid and l.objid = (k.key & 4294967295)::oid) as running`.execute(db);
  return rows[0]?.running === true;
}
