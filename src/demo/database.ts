import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { startEmbeddedPostgres } from '../db/embedded.ts';
import { waitForSessionsToLeave } from './sessions.ts';

/**
 * A fresh database for one demo run: the sandbox forgets everything when it stops, so a
 * database kept from an earlier run would hold contact links and tokens for organisations
 * that no longer exist. It lives on the demo's own embedded PostgreSQL (its own folder and
 * port), or on the server named by --database-url, and is dropped when the demo stops.
 */
export interface DemoDatabase {
  readonly url: string;
  readonly name: string;
  /** Where it lives, for the summary. */
  readonly label: string;
  close(): Promise<void>;
}

const PREFIX = 'ledgerport_demo_';

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'ledgerport-demo' });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function openDemoDatabase(opts: { serverUrl?: string; dataDir: string; port: number; logger: Logger }): Promise<DemoDatabase> {
  const embedded = opts.serverUrl ? undefined : await startEmbeddedPostgres({ dataDir: path.join(opts.dataDir, 'pg'), port: opts.port, logger: opts.logger });
  const adminUrl = opts.serverUrl ?? embedded!.url;
  const name = `${PREFIX}${randomBytes(4).toString('hex')}`;
  try {
    await withClient(adminUrl, async (client) => {
      if (embedded) {
        // The demo's own server: databases of runs that were killed are dropped here.
        const { rows } = await client.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${PREFIX}%`]);
        for (const row of rows) await client.query(`drop database if exists "${row.datname}" with (force)`);
      }
      await client.query(`create database ${name}`);
    });
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const where = opts.serverUrl ? `PostgreSQL at ${url.host}` : `embedded PostgreSQL in ${path.relative(process.cwd(), path.join(opts.dataDir, 'pg'))} (port ${opts.port})`;
  return {
    url: url.toString(),
    name,
    label: `${where}, database ${name}`,
    async close() {
      try {
        await waitForSessionsToLeave(adminUrl, name);
        await withClient(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`));
      } finally {
        await embedded?.stop();
      }
    },
  };
}
