import { Logger as GraphileLogger, run, type LogLevel, type Runner } from 'graphile-worker';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { addJobs } from './jobs.ts';
import type { FetchLike } from './feed/deliver.ts';
import { createServices } from './services.ts';
import { createTaskList, CRONTAB } from '../tasks/index.ts';
import type { TaskDeps } from '../tasks/deps.ts';
import type { Observability } from './observability/index.ts';
import { observeTasks, observeWorkerEvents } from './observability/jobs.ts';

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

export function taskDeps(config: Config, opts: { pool: pg.Pool; db: Database; logger: Logger; now?: () => Date; fetch?: FetchLike; observability?: Observability }): TaskDeps {
  const services = createServices(config, { db: opts.db, logger: opts.logger, observability: opts.observability });
  return {
    db: opts.db,
    pool: opts.pool,
    logger: opts.logger,
    providers: services.providers,
    cipher: services.cipher,
    now: opts.now ?? (() => new Date()),
    pushDebounceMs: config.push.debounceMs,
    pushQuietMs: config.push.quietMs,
    requestTimeoutMs: config.push.requestTimeoutMs,
    // change feed
    feed: services.feed,
    platformWebhook: config.platformWebhook,
    fetch: opts.fetch ?? fetch,
    observability: opts.observability,
  };
}

/** The task list the worker runs: every task, each in a span when tracing is on (observability/jobs.ts). */
export const workerTaskList = (deps: TaskDeps) => observeTasks(createTaskList(deps), deps.observability);

export async function startWorker(opts: { config: Config; pool: pg.Pool; db: Database; logger: Logger; observability?: Observability }): Promise<Runner> {
  const logger = opts.logger.child({ subsystem: 'worker' });
  const concurrency = opts.config.worker.concurrency;
  const runner = await run({
    pgPool: opts.pool,
    concurrency,
    logger: graphileLogger(logger),
    // Our process owns signal handling and shuts the runner down in order.
    noHandleSignals: true,
    taskList: workerTaskList(taskDeps(opts.config, { ...opts, logger })),
    // Jobs by task and outcome (ledgerport_jobs_total).
    ...(opts.observability ? { events: observeWorkerEvents(opts.observability) } : {}),
    crontab: CRONTAB,
    preset: {
      worker: {
        // Batching (graphile-worker's performance guide): fetch jobs in batches and complete
        // them in batches; ~10x the throughput of one round trip per job. No refetchDelay: in
        // graphile-worker 0.18 a "new job" notification that arrives during the delay after an
        // empty fetch is counted but never fetched for, so the job waited for pollInterval (up
        // to 1 s for a webhook's route or push job at low load; npm run bench:latency).
        localQueue: { size: concurrency * 4 },
        completeJobBatchDelay: 5,
        failJobBatchDelay: 5,
        pollInterval: 1_000,
      },
    },
  });
  // Recover at once whatever a previous worker left pending, rather than at the next minute.
  await addJobs(opts.db, [
    { task: 'sweep_pushes', payload: {}, jobKey: 'sweep_pushes' },
    { task: 'sweep_deliveries', payload: {}, jobKey: 'sweep_deliveries' },
  ]);
  return runner;
}
