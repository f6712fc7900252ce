import { ConfigError, loadConfig, loadConfigWith, type Config } from './config.ts';
import { createConsoleLink } from './console/sessions.ts';
import { startDevSandboxes, type DevSandboxes } from './dev-sandboxes.ts';
import { startGateway, type Role } from './gateway.ts';
import { createDatabase } from './db/database.ts';
import { startEmbeddedPostgres } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { createLogger } from './logger.ts';

/** Entry point: `node src/main.ts [all|web|worker|migrate]`. */
const command = process.argv[2] ?? 'all';
if (!['all', 'web', 'worker', 'migrate'].includes(command)) {
  process.stderr.write(`usage: node src/main.ts [all|web|worker|migrate] (got "${command}")\n`);
  process.exit(2);
}

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
const logger = createLogger({ level: config.logLevel });
if (config.generatedSecretsFile) {
  logger.warn({ file: config.generatedSecretsFile }, 'development secrets generated for unset variables; set them explicitly in production');
}

/** The tenant whose console link `npm start` logs in development, and how long that link lasts. */
const DEV_TENANT = 'demo';
const DEV_LINK_TTL_MS = 60 * 60_000;

async function logDevConsoleLink(databaseUrl: string, origin: string): Promise<void> {
  const database = createDatabase({ connectionString: databaseUrl, poolSize: 2, logger });
  try {
    const link = await createConsoleLink(database.db, { tenantId: DEV_TENANT, subject: 'npm start', now: new Date(), linkTtlMs: DEV_LINK_TTL_MS });
    logger.info(
      { tenantId: DEV_TENANT, console: `${origin}/console/open?token=${link.token}`, expiresAt: link.linkExpiresAt, docs: `${origin}/docs` },
      `console ready for tenant "${DEV_TENANT}": open the link once within an hour (POST /v1/tenants/{tenant_id}/console-sessions for more)`,
    );
  } finally {
    await database.close();
  }
}

let sandboxes: DevSandboxes | undefined;
try {
  if (config.devSandboxes && command !== 'migrate' && command !== 'worker') {
    const origin = config.publicUrl ?? `http://localhost:${config.http.port}`;
    sandboxes = await startDevSandboxes({ logger: logger.child({ subsystem: 'sandbox' }), origin });
    config = loadConfigWith(sandboxes.environment);
    logger.warn({ xero: sandboxes.urls.xero, quickbooks: sandboxes.urls.quickbooks }, 'no provider credentials: connecting to loopback Xero and QuickBooks sandboxes (DEV_SANDBOXES=off to turn off)');
  }
  if (command === 'migrate') {
    const embedded = config.database.url ? undefined : await startEmbeddedPostgres({ ...config.database.embedded, logger });
    const database = createDatabase({ connectionString: config.database.url ?? embedded!.url, poolSize: 2, logger });
    const { applied } = await migrate(database.pool, logger);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database already up to date');
    await database.close();
    await embedded?.stop();
  } else {
    const gateway = await startGateway(config, logger, command as Role);
    if (config.env === 'development' && gateway.url) await logDevConsoleLink(gateway.databaseUrl, config.publicUrl ?? `http://localhost:${config.http.port}`);
    let stopping = false;
    const shutdown = (signal: string, exitCode = 0) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down gracefully');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'graceful shutdown timed out');
        process.exit(1);
      }, config.shutdownTimeoutMs);
      timer.unref();
      gateway.stop().then(() => sandboxes?.close()).then(
        () => {
          logger.info('stopped');
          process.exit(exitCode);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    // A worker whose job runner died would stay up doing nothing: stop, exit 1, be started again.
    void gateway.failed.then((error) => {
      logger.fatal({ err: error }, 'the job runner stopped on its own; shutting down so the process is started again');
      shutdown('runner-failed', 1);
    });
  }
} catch (error) {
  logger.fatal({ err: error }, 'failed to start');
  process.exit(1);
}
