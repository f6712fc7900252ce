import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';

/**
 * A PostgreSQL server for the test run: TEST_DATABASE_URL when set, else a testcontainers
 * PostgreSQL when a Docker engine answers, else an embedded PostgreSQL in a temporary folder.
 */
export async function startTestPostgres(env: Record<string, string | undefined>): Promise<{ url: string; stop: () => Promise<void> }> {
  if (env.TEST_DATABASE_URL) return { url: env.TEST_DATABASE_URL, stop: async () => {} };

  if (await dockerAvailable()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
  }

  const dir = await mkdtemp(path.join(tmpdir(), 'ledgerport-test-pg-'));
  // World-traversable so the embedded server can run as `postgres` when tests run as root.
  const { chmod } = await import('node:fs/promises');
  await chmod(dir, 0o755);
  const port = 55_000 + Math.floor(Math.random() * 4_000);
  const server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port, logger: pino({ level: 'warn' }) });
  return {
    url: server.url,
    stop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
