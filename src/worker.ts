import { Logger as GraphileLogger, run, type LogLevel, type Runner } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from './db/database.ts';
import { createTaskList } from '../tasks/index.ts';

/** graphile-worker's logger interface, backed by a pino child logger. */
export function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger((scope) => {
    const child = logger.child(scope);
    return (level: LogLevel, message: string, meta?: unknown) => {
      const method = level === 'warning' ? 'warn' : level;
      child[method](meta ?? {}, message);
    };
  });
}

export async function startWorker(opts: {
  pool: pg.Pool;
  db: Database;
  logger: Logger;
  concurrency: number;
}): Promise<Runner> {
  const logger = opts.logger.child({ subsystem: 'worker' });
  return run({
    pgPool: opts.pool,
    concurrency: opts.concurrency,
    logger: graphileLogger(logger),
    // Our process owns signal handling and shuts the runner down in order.
    noHandleSignals: true,
    taskList: createTaskList({ db: opts.db, logger }),
    crontab: '',
    preset: {
      worker: {
        // Batching (graphile-worker's performance guide): fetch jobs in batches and complete
        // them in batches; ~10x the throughput of one round trip per job.
        localQueue: { size: opts.concurrency * 4, refetchDelay: { durationMs: 100 } },
        completeJobBatchDelay: 5,
        failJobBatchDelay: 5,
        pollInterval: 1_000,
      },
    },
  });
}
