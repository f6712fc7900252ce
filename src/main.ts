import { ConfigError, loadConfig } from './config.ts';
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

let config;
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

try {
  if (command === 'migrate') {
    const embedded = config.database.url ? undefined : await startEmbeddedPostgres({ ...config.database.embedded, logger });
    const database = createDatabase({ connectionString: config.database.url ?? embedded!.url, poolSize: 2, logger });
    const { applied } = await migrate(database.pool, logger);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database already up to date');
    await database.close();
    await embedded?.stop();
  } else {
    const gateway = await startGateway(config, logger, command as Role);
    let stopping = false;
    const shutdown = (signal: string) => {
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
      gateway.stop().then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  }
} catch (error) {
  logger.fatal({ err: error }, 'failed to start');
  process.exit(1);
}
