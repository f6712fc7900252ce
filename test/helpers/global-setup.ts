import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/db/migrate.ts';
import { startTestPostgres } from './postgres-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminDatabaseUrl: string;
    templateDatabase: string;
  }
}

export function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Migrates one template database; every test file clones it (CREATE DATABASE … TEMPLATE). */
export default async function setup(project: TestProject) {
  const server = await startTestPostgres(process.env);
  const template = `ledgerport_tpl_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`create database ${template}`);
  const pool = new pg.Pool({ connectionString: databaseUrl(server.url, template), max: 2 });
  // A dropped idle connection must fail the migration it serves, not crash the test run.
  const report = (error: Error) => console.error(`template database connection failed: ${error.message}`);
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  await migrate(pool, pino({ level: 'warn' }));
  await pool.end();
  project.provide('adminDatabaseUrl', server.url);
  project.provide('templateDatabase', template);

  return async () => {
    const clones = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname like $1`,
      [`${template.replace('_tpl_', '_t_')}%`],
    );
    for (const { datname } of clones.rows) await admin.query(`drop database if exists ${datname} with (force)`);
    await admin.query(`drop database if exists ${template} with (force)`);
    await admin.end();
    await server.stop();
  };
}
