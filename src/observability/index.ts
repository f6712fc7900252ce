import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { createDatabaseGauges } from './database-gauges.ts';
import { createMetrics, DATABASE_GAUGES, type Metrics } from './metrics.ts';
import { disabledTracing, type Tracing } from './tracing.ts';

/**
 * Metrics and traces for one process, made once (gateway.ts; tests make their own) and passed
 * down: AppContext, Services, task deps, provider clients. See README "Metrics and traces".
 */
export interface Observability {
  readonly metrics: Metrics;
  readonly tracing: Tracing;
  /** The Prometheus text exposition of every metric, database-backed gauges read just before. */
  render(): Promise<{ readonly contentType: string; readonly body: string }>;
}

export function createObservability(opts: {
  logger: Logger;
  /** Where the queue, document and feed gauges are read at scrape time; without it they are not exported. */
  db?: Database;
  tracing?: Tracing;
  /** Whether the change feed is delivered as webhooks (PLATFORM_WEBHOOK_URL); without, there is no delivery backlog to report. */
  feedDelivery?: boolean;
  /** Node.js process metrics (CPU, memory, event loop lag, GC): on unless false. */
  defaultMetrics?: boolean;
}): Observability {
  const metrics = createMetrics({ defaultMetrics: opts.defaultMetrics });
  const feed = opts.feedDelivery ?? false;
  const gauges = opts.db ? createDatabaseGauges(metrics, opts.db, opts.logger.child({ subsystem: 'metrics' }), { feed }) : undefined;
  for (const name of DATABASE_GAUGES) {
    if (!gauges || (!feed && name.startsWith('ledgerport_feed_'))) metrics.registry.removeSingleMetric(name);
  }
  return {
    metrics,
    tracing: opts.tracing ?? disabledTracing,
    async render() {
      await gauges?.refresh();
      return { contentType: metrics.registry.contentType, body: await metrics.registry.metrics() };
    },
  };
}

export type { Metrics } from './metrics.ts';
export type { Tracing } from './tracing.ts';
