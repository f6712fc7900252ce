import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { DB } from './schema.ts';

export type Database = Kysely<DB>;

const DATE_OID = 1082;
export type Tx = Transaction<DB>;

export interface DatabaseHandle {
  readonly db: Database;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

export function createDatabase(opts: { connectionString: string; poolSize: number; logger: Logger }): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.poolSize,
    // Fail fast instead of hanging a request when the database is unreachable.
    connectionTimeoutMillis: 5_000,
    application_name: 'ledgerport',
    // A calendar date stays a 'YYYY-MM-DD' string: as a JS Date it would shift with the time zone.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === DATE_OID ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  // pg attaches the client to its errors; log only what explains the failure.
  const describe = (error: Error & { code?: string }) => ({ message: error.message, code: error.code });
  pool.on('error', (error) => opts.logger.error({ err: describe(error) }, 'idle database connection failed'));
  pool.on('connect', (client) =>
    client.on('error', (error) => opts.logger.error({ err: describe(error) }, 'database connection failed')),
  );
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    async close() {
      await db.destroy();
      // Kysely only ends the pool if it ever used it; migrations and /readyz use it directly.
      if (!pool.ended) await pool.end();
    },
  };
}
