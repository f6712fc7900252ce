import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMigrations as runWorkerMigrations } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from 'pino';

export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

// Any constant works; it only has to be the same in every process that migrates.
const MIGRATION_LOCK_KEY = 7_340_112_001;

export interface MigrationFile {
  readonly id: number;
  readonly name: string;
  readonly sql: string;
}

export async function readMigrations(dir = SQL_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => /^\d{4}_[\w-]+\.sql$/.test(name)).sort();
  return Promise.all(
    names.map(async (name) => ({
      id: Number(name.slice(0, 4)),
      name,
      sql: await readFile(path.join(dir, name), 'utf8'),
    })),
  );
}

/**
 * Applies the numbered files in sql/ that are not applied yet, each in its own transaction,
 * under an advisory lock so processes starting together apply each file once; then installs or
 * upgrades graphile-worker's schema (which takes its own lock).
 */
export async function migrate(pool: pg.Pool, logger: Logger): Promise<{ applied: string[] }> {
  const migrations = await readMigrations();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`create table if not exists ledgerport_migrations (
        id integer primary key, name text not null, applied_at timestamptz not null default now())`);
      const done = new Set(
        (await client.query<{ id: number }>('select id from ledgerport_migrations')).rows.map((r) => r.id),
      );
      for (const migration of migrations) {
        if (done.has(migration.id)) continue;
        await client.query('begin');
        try {
          await client.query(migration.sql);
          await client.query('insert into ledgerport_migrations (id, name) values ($1, $2)', [migration.id, migration.name]);
          await client.query('commit');
        } catch (error) {
          await client.query('rollback');
          throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
        }
        applied.push(migration.name);
        logger.info({ migration: migration.name }, 'applied migration');
      }
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  await runWorkerMigrations({ pgPool: pool, logger: undefined });
  return { applied };
}

/** True when every file in sql/ is applied; used by /readyz. */
export async function migrationsApplied(pool: pg.Pool, expected: number): Promise<boolean> {
  const result = await pool.query<{ count: string }>(
    `select count(*)::text as count from ledgerport_migrations`,
  );
  return Number(result.rows[0]?.count ?? 0) >= expected;
}
