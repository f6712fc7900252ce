import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/database.ts';
import { acceptOpsEvents, type AcceptOutcome, type OpsEvent } from './ingest/accept-ops-events.ts';
import { GroupCommitter } from './ingest/group-commit.ts';
import { createTokenVerifier, type TokenVerifier } from './security/jwt-auth.ts';
import { createServices, type Services } from './services.ts';
import type { SessionDeps } from './connections/session.ts';
import type { ProviderRegistry } from './providers/registry.ts';
import { createObservability, type Observability } from './observability/index.ts';
import { observeOpsIngest } from './observability/ingest.ts';

/** Everything request handlers need, built once from config and passed explicitly. */
export interface AppContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  readonly pool: pg.Pool;
  /** Injected so tests can move time (webhook tolerance, token expiry). */
  readonly now: () => Date;
  readonly verifyToken: TokenVerifier;
  readonly opsIngest: GroupCommitter<OpsEvent, AcceptOutcome>;
  readonly migrationCount: number;
  readonly services: Services;
  /** What provider sessions, imports and connection changes need, from the parts above. */
  readonly providerDeps: SessionDeps & { readonly providers: ProviderRegistry };
  /** Metrics (GET /metrics) and traces of this process. */
  readonly observability: Observability;
}

export function createAppContext(opts: {
  config: Config;
  logger: Logger;
  db: Database;
  pool: pg.Pool;
  migrationCount: number;
  now?: () => Date;
  /** The process's metrics and traces (gateway.ts makes one for both roles); a fresh one when absent. */
  observability?: Observability;
}): AppContext {
  const { config, logger, db } = opts;
  const ingestLogger = logger.child({ subsystem: 'ingest' });
  const observability = opts.observability ?? createObservability({ logger, db, feedDelivery: Boolean(config.platformWebhook.url) });
  const ingest = observeOpsIngest(observability);
  const services = createServices(config, { db, logger, observability });
  const now = opts.now ?? (() => new Date());
  return {
    config,
    logger,
    db,
    pool: opts.pool,
    now,
    verifyToken: createTokenVerifier(config.auth),
    opsIngest: new GroupCommitter<OpsEvent, AcceptOutcome>({
      write: ingest.write((events) =>
        acceptOpsEvents(db, events, {
          onRace: (error, attempt) =>
            ingestLogger.info({ err: error, size: events.length, attempt }, 'batch raced a concurrent one; writing it again'),
        })),
      prepare: ingest.prepare,
      maxBatch: config.ingest.maxBatch,
      // Fewer transactions at once means larger batches: each commit has a fixed cost (the job
      // queue's add_jobs and notify) that a batch shares. Leave connections for the rest of the API.
      maxInFlight: Math.max(1, Math.min(config.ingest.maxInFlight, config.database.poolSize - 2)),
      onBatchError: (error, size) =>
        ingestLogger.warn({ err: error, size }, 'group commit failed; writing its events one by one'),
    }),
    migrationCount: opts.migrationCount,
    services,
    providerDeps: { db, cipher: services.cipher, feed: services.feed, providers: services.providers, logger, now, observability },
    observability,
  };
}
