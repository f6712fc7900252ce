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
import { createObservability } from './observability/index.ts';
import { startMetricsServer } from './observability/http.ts';
import { createTracing, type Tracing } from './observability/tracing.ts';

export type Role = 'all' | 'web' | 'worker';

export interface Gateway {
  readonly url: string | undefined;
  readonly databaseUrl: string;
  /** Where Prometheus scrapes this process: PORT's /metrics (web, all) or METRICS_PORT's (worker). */
  readonly metricsUrl: string;
  /** Stops in order: stop accepting, finish requests and jobs, close pools, stop Postgres. */
  stop(): Promise<void>;
  /**
   * Resolves when a part stopped on its own: the worker's job runner, which graphile-worker stops
   * for good when its pool hits a fatal error (e.g. a database connection lost while completing
   * jobs). The process should then stop (and be started again); it would otherwise stay up
   * without running a job. Never resolves for the web role.
   */
  readonly failed: Promise<Error>;
}

/** Starts the database (embedded when no DATABASE_URL), migrations, and the web and/or worker roles. */
export async function startGateway(config: Config, logger: Logger, role: Role, opts: { tracing?: Tracing } = {}): Promise<Gateway> {
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
    // One registry (and tracer) for the process, shared by both roles; spans are flushed after they stop.
    const tracing = opts.tracing ?? (await createTracing(config.tracing, { logger: logger.child({ subsystem: 'tracing' }) }));
    stack.push(() => tracing.shutdown());
    const observability = createObservability({ logger, db: web.db, tracing, feedDelivery: Boolean(config.platformWebhook.url) });
    let metricsUrl: string | undefined;

    let runner: Runner | undefined;
    let failed = new Promise<Error>(() => {});
    if (role !== 'web') {
      // Its own pool: a busy queue must not starve the HTTP side of connections.
      const jobs = createDatabase({ connectionString: databaseUrl, poolSize: config.worker.concurrency + 3, logger });
      stack.push(() => jobs.close());
      runner = await startWorker({ config, pool: jobs.pool, db: jobs.db, logger, observability });
      let stopping = false;
      let runnerStopped = false;
      failed = new Promise<Error>((resolve) => {
        const ended = (error: unknown) => {
          runnerStopped = true;
          if (!stopping) resolve(error instanceof Error ? error : new Error('the job runner stopped on its own'));
        };
        runner!.promise.then(ended, ended);
      });
      stack.push(async () => {
        stopping = true;
        // A runner that stopped on its own (failed) has nothing left to stop, and says so by throwing.
        if (!runnerStopped) await runner!.stop();
        logger.info('worker stopped; in-flight jobs finished');
      });
      if (role === 'worker') {
        const metrics = await startMetricsServer(observability, { port: config.metrics.port, host: config.http.host, token: config.metrics.token, logger });
        stack.push(() => metrics.close());
        metricsUrl = `${metrics.url}/metrics`;
      }
    }

    let url: string | undefined;
    if (role !== 'worker') {
      const ctx = createAppContext({ config, logger, db: web.db, pool: web.pool, migrationCount, observability });
      const app = createApp(ctx);
      const server = await new Promise<Server>((resolve, reject) => {
        const s = serve({ fetch: app.fetch, port: config.http.port, hostname: config.http.host }, () => resolve(s as Server));
        (s as Server).once('error', reject);
      });
      const address = server.address() as AddressInfo;
      url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
      logger.info({ url, role }, 'ledgerport listening');
      metricsUrl = `${url}/metrics`;
      stack.push(async () => {
        // Stop accepting; requests in flight (and their group commits) finish first.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // A client that keeps sending on a keep-alive connection would keep it open (and close()
        // waiting) until the shutdown timeout: every answer from now on closes its connection.
        server.on('request', (_req, res) => {
          if (!res.headersSent) res.setHeader('connection', 'close');
        });
        server.closeIdleConnections();
        await closed;
        await ctx.opsIngest.drain();
        logger.info('http server stopped; in-flight requests finished');
      });
    }
    return { url, databaseUrl, metricsUrl: metricsUrl!, stop: stopAll, failed };
  } catch (error) {
    await stopAll().catch((stopError) => logger.error({ err: stopError }, 'cleanup after failed start failed'));
    throw error;
  }
}
