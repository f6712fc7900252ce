import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  readonly serverVersion: string;
  drop(): Promise<void>;
}

/** Creates `ledgerport_bench_<random>` on the server behind `adminUrl`; `drop()` removes it with force. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `ledgerport_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, application_name: 'ledgerport-bench' });
  await admin.connect();
  let serverVersion: string;
  try {
    serverVersion = (await admin.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? '?';
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    serverVersion,
    async drop() {
      if (dropped) return;
      dropped = true;
      const client = new pg.Client({ connectionString: adminUrl, application_name: 'ledgerport-bench' });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Flushes dirty buffers so one phase's checkpoint does not land in the next phase's numbers. */
export async function checkpoint(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'ledgerport-bench' });
  await client.connect();
  try {
    await client.query('checkpoint');
  } catch {
    // Needs superuser or pg_checkpoint; without it the phases just share checkpoints.
  } finally {
    await client.end();
  }
}

/**
 * Refreshes the planner's statistics, as autovacuum does on a live database (about once a
 * minute there). A bench database grows from empty in seconds; without this, PostgreSQL plans
 * the ingest's statements for empty tables and each phase gets slower than the last, which a
 * database in service never shows.
 */
export async function analyze(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('analyze');
  } finally {
    await client.end();
  }
}
