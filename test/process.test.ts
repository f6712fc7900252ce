import pg from 'pg';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../src/db/migrate.ts';
import { createTestDatabase } from './helpers/db.ts';
import { shippedInvoice } from './helpers/harness.ts';
import { openTestPool } from './helpers/pool.ts';
import { postSigned, startGatewayProcess } from './helpers/process.ts';
import { waitFor } from './helpers/wait.ts';


describe('the gateway as a process', () => {
  it('an event answered 202 survives SIGKILL right after, and its job runs on the next worker', async () => {
    const database = await createTestDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const web = await startGatewayProcess('web', database.url);
      const res = await postSigned(web.url, shippedInvoice({ tenantId: 'org_kill', id: 'inv_kill' }), 'msg_kill');
      expect(res.status).toBe(202);
      web.child.kill('SIGKILL');
      await web.exited;
      const { document_id } = (await res.json()) as { document_id: string };

      const event = await client.query(`select outcome, document_id from inbound_events where delivery_id = 'msg_kill'`);
      expect(event.rows).toEqual([{ outcome: 'accepted', document_id }]);
      const job = await client.query(`select t.identifier as task_identifier from graphile_worker._private_jobs j
         join graphile_worker._private_tasks t on t.id = j.task_id where j.payload->>'document_id' = $1`, [document_id]);
      expect(job.rows).toEqual([{ task_identifier: 'route_document' }]);

      const worker = await startGatewayProcess('worker', database.url);
      const status = await waitFor(async () => {
        const row = await client.query(`select status from documents where id = $1`, [document_id]);
        return row.rows[0]?.status === 'held' ? 'held' : undefined;
      });
      expect(status).toBe('held');
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    } finally {
      await client.end();
      await database.drop();
    }
  });

  it('on SIGTERM finishes in-flight requests, loses nothing it accepted, and exits 0', async () => {
    const database = await createTestDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const gateway = await startGatewayProcess('all', database.url);
      const requests = Array.from({ length: 40 }, (_, i) =>
        postSigned(gateway.url, shippedInvoice({ tenantId: 'org_term', id: `inv_term_${i}` })).then(
          async (res) => ({ status: res.status, body: (await res.json()) as { document_id?: string } }),
          () => ({ status: 0, body: {} as { document_id?: string } }), // not connected before the listener closed: never accepted
        ),
      );
      // Signal as soon as the first answer is back: the others are in flight or about to be.
      await Promise.race(requests);
      gateway.child.kill('SIGTERM');
      const results = await Promise.all(requests);
      expect(await gateway.exited).toBe(0);

      expect(results.every((r) => r.status === 202 || r.status === 0)).toBe(true);
      const accepted = results.filter((r) => r.status === 202).map((r) => r.body.document_id!);
      expect(accepted.length).toBeGreaterThan(0);
      const stored = await client.query(`select id from documents where id = any($1::uuid[])`, [accepted]);
      expect(stored.rowCount).toBe(accepted.length);
      // Each accepted document was either routed before shutdown or still has its job waiting.
      const unaccounted = await client.query(
        `select d.id from documents d where d.id = any($1::uuid[]) and d.status = 'received'
           and not exists (select 1 from graphile_worker._private_jobs j where j.payload->>'document_id' = d.id::text)`,
        [accepted],
      );
      expect(unaccounted.rows).toEqual([]);
      expect(gateway.output.join('')).toContain('in-flight requests finished');
    } finally {
      await client.end();
      await database.drop();
    }
  });

  it('migrations are safe when two processes start at once', async () => {
    const database = await createTestDatabase();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    // Start from an empty database rather than the migrated template.
    await admin.query('drop schema public cascade; create schema public; drop schema graphile_worker cascade; drop schema if exists graphile_migrate cascade');
    await admin.end();
    const pools = [0, 1].map(() => openTestPool(database.url, { max: 2 }));
    try {
      const results = await Promise.all(pools.map(({ pool }) => migrate(pool, pino({ level: 'silent' }))));
      expect(results.flatMap((r) => r.applied).sort()).toEqual((await readMigrations()).map((m) => m.name));
      const check = await pools[0]!.pool.query('select count(*)::int as n from ledgerport_migrations');
      expect(check.rows[0].n).toBe((await readMigrations()).length);
      const jobs = await pools[0]!.pool.query(`select to_regclass('graphile_worker.jobs') is not null as ok`);
      expect(jobs.rows[0].ok).toBe(true);
    } finally {
      // Every socket closed before the forced drop, so no backend is terminated under a live connection.
      await Promise.all(pools.map((p) => p.close()));
      await database.drop();
    }
    // Last, so that a failure above is reported as itself.
    expect(pools.flatMap((p) => p.errors())).toEqual([]);
  });
});
