import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Runner } from 'graphile-worker';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { createAppContext } from './context.ts';
import { createDatabase, type DatabaseHandle } from './db/database.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts';
import { migrate, readMigrations } from './db/migrate.ts';
import { createApp } from './http/app.ts';
import { startWorker } from './worker.ts';

export type Role = 'all' | 'web' | 'worker';

export interface Gateway {
  readonly url: string | undefined;
  readonly databaseUrl: string;
  /** Stops in order: stop accepting, finish requests and jobs, close pools, stop Postgres. */
  stop(): Promise<void>;
}

/** Starts the database (embedded when no DATABASE_URL), migrations, and the web and/or worker roles. */
export async function startGateway(config: Config, logger: Logger, role: Role): Promise<Gateway> {
  const stack: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const step of stack.reverse().splice(0)) await step();
  };
  try {
    let embedded: EmbeddedDatabase | undefined;
    if (!config.database.url) {
      embedded = await startEmbeddedPostgres({ ...config.database.embedded, logger });
      stack.push(() => embedded!.stop());
    }
    const databaseUrl = config.database.url ?? embedded!.url;

    const web: DatabaseHandle = createDatabase({ connectionString: databaseUrl, poolSize: config.database.poolSize, logger });
    stack.push(() => web.close());
    await migrate(web.pool, logger.child({ subsystem: 'migrate' }));
    const migrationCount = (await readMigrations()).length;

    let runner: Runner | undefined;
    if (role !== 'web') {
      // Its own pool: a busy queue must not starve the HTTP side of connections.
      const jobs = createDatabase({ connectionString: databaseUrl, poolSize: config.worker.concurrency + 3, logger });
      stack.push(() => jobs.close());
      runner = await startWorker({ config, pool: jobs.pool, db: jobs.db, logger });
      stack.push(async () => {
        await runner!.stop();
        logger.info('worker stopped; in-flight jobs finished');
      });
    }

    let url: string | undefined;
    if (role !== 'worker') {
      const ctx = createAppContext({ config, logger, db: web.db, pool: web.pool, migrationCount });
      const app = createApp(ctx);
      const server = await new Promise<Server>((resolve, reject) => {
        const s = serve({ fetch: app.fetch, port: config.http.port, hostname: config.http.host }, () => resolve(s as Server));
        (s as Server).once('error', reject);
      });
      const address = server.address() as AddressInfo;
      url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
      logger.info({ url, role }, 'ledgerport listening');
      stack.push(async () => {
        // Stop accepting; requests in flight (and their group commits) finish first.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await closed;
        await ctx.opsIngest.drain();
        logger.info('http server stopped; in-flight requests finished');
      });
    }
    return { url, databaseUrl, stop: stopAll };
  } catch (error) {
    await stopAll().catch((stopError) => logger.error({ err: stopError }, 'cleanup after failed start failed'));
    throw error;
  }
}
