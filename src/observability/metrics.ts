import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every Prometheus metric Ledgerport exports, on one Registry made here and passed down
 * (AppContext, Services, task deps); nothing registers on prom-client's global registry.
 *
 * Labels are bounded: route templates (never raw paths), task identifiers, provider names and
 * operation names from the code, HTTP status codes, error codes. Tenant, document and
 * organisation ids never become labels; they go on trace spans instead.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly httpInFlight: Gauge;
  readonly webhooks: Counter<'source' | 'outcome'>;
  readonly webhooksRefused: Counter<'source' | 'reason'>;
  readonly ingestBatchSize: Histogram;
  readonly ingestBatchDuration: Histogram<'outcome'>;
  readonly jobs: Counter<'task' | 'outcome'>;
  readonly jobDuration: Histogram<'task' | 'outcome'>;
  readonly providerRequests: Counter<'provider' | 'operation' | 'status'>;
  readonly providerDuration: Histogram<'provider' | 'operation' | 'status'>;
  readonly providerRateLimited: Counter<'provider' | 'operation'>;
  readonly governorWaits: Counter<'provider' | 'reason'>;
  readonly governorWaitSeconds: Counter<'provider' | 'reason'>;
  readonly governorRefusals: Counter<'provider' | 'reason'>;
  readonly tokenRefreshes: Counter<'provider' | 'outcome'>;
  readonly feedDeliveries: Counter<'outcome'>;
  readonly feedDeliveryDuration: Histogram<'outcome'>;
  readonly collectionFailures: Counter<'source'>;
  // Read from the database on scrape (database-gauges.ts).
  readonly jobQueue: Gauge<'task' | 'state'>;
  readonly jobQueueOldestReadyAge: Gauge;
  readonly documents: Gauge<'status'>;
  readonly feedBacklog: Gauge;
  readonly feedBacklogOldestAge: Gauge;
}

const SECONDS_FAST = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SECONDS_SLOW = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'ledgerport_http_requests_total',
      help: 'HTTP requests answered, by method, route template (Hono\'s matched route, "unmatched" for 404s no route matched) and status code',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'ledgerport_http_request_duration_seconds',
      help: 'Time from the request reaching Ledgerport to its response, by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      buckets: SECONDS_FAST,
      registers,
    }),
    httpInFlight: new Gauge({ name: 'ledgerport_http_requests_in_flight', help: 'HTTP requests being handled now', registers }),
    webhooks: new Counter({
      name: 'ledgerport_webhooks_received_total',
      help: 'Inbound webhooks by source (ops, xero, quickbooks) and outcome: accepted, duplicate (same webhook-id again), ignored (event type not handled), refused (4xx), failed (5xx)',
      labelNames: ['source', 'outcome'],
      registers,
    }),
    webhooksRefused: new Counter({
      name: 'ledgerport_webhooks_refused_total',
      help: 'Inbound webhooks answered 4xx, by source and reason (the error code of the answer, e.g. invalid_signature, validation_failed)',
      labelNames: ['source', 'reason'],
      registers,
    }),
    ingestBatchSize: new Histogram({
      name: 'ledgerport_ingest_batch_size',
      help: 'Ops webhook deliveries written per group-commit transaction',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    }),
    ingestBatchDuration: new Histogram({
      name: 'ledgerport_ingest_batch_duration_seconds',
      help: 'Time to write one group-commit batch (one transaction), by outcome (committed, failed: its events are then written one by one)',
      labelNames: ['outcome'],
      buckets: SECONDS_FAST,
      registers,
    }),
    jobs: new Counter({
      name: 'ledgerport_jobs_total',
      help: 'graphile-worker jobs run by this process, by task and outcome: success, retry (failed, will run again), failed (failed its last attempt)',
      labelNames: ['task', 'outcome'],
      registers,
    }),
    jobDuration: new Histogram({
      name: 'ledgerport_job_duration_seconds',
      help: 'Time a job ran, by task and outcome',
      labelNames: ['task', 'outcome'],
      buckets: SECONDS_SLOW,
      registers,
    }),
    providerRequests: new Counter({
      name: 'ledgerport_provider_requests_total',
      help: 'Requests to the accounting providers (API calls; oauth_token, oauth_refresh, oauth_revoke at the token endpoints; connections, companyinfo at connect), by provider, operation and status (the HTTP status, or "unreachable" when no answer came, e.g. a timeout)',
      labelNames: ['provider', 'operation', 'status'],
      registers,
    }),
    providerDuration: new Histogram({
      name: 'ledgerport_provider_request_duration_seconds',
      help: 'Latency of provider requests (API calls after the rate governor let them go, OAuth and connect-time calls), by provider, operation and status',
      labelNames: ['provider', 'operation', 'status'],
      buckets: SECONDS_SLOW,
      registers,
    }),
    providerRateLimited: new Counter({
      name: 'ledgerport_provider_rate_limited_total',
      help: 'Provider answers 429 (Too Many Requests), by provider and operation',
      labelNames: ['provider', 'operation'],
      registers,
    }),
    governorWaits: new Counter({
      name: 'ledgerport_governor_waits_total',
      help: 'Times a provider call slept for the rate governor before asking again, by provider and the limit that held it (concurrent, minute, day, blocked)',
      labelNames: ['provider', 'reason'],
      registers,
    }),
    governorWaitSeconds: new Counter({
      name: 'ledgerport_governor_wait_seconds_total',
      help: 'Seconds provider calls slept for the rate governor, by provider and limit',
      labelNames: ['provider', 'reason'],
      registers,
    }),
    governorRefusals: new Counter({
      name: 'ledgerport_governor_refusals_total',
      help: 'Provider calls the rate governor held back for longer than the caller may wait (the job is rescheduled instead), by provider and limit',
      labelNames: ['provider', 'reason'],
      registers,
    }),
    tokenRefreshes: new Counter({
      name: 'ledgerport_token_refreshes_total',
      help: 'OAuth token refreshes by provider and outcome: refreshed, reread (another process had refreshed), needs_reauth (the refresh token was refused), other connection statuses, error (the provider could not be reached or failed)',
      labelNames: ['provider', 'outcome'],
      registers,
    }),
    feedDeliveries: new Counter({
      name: 'ledgerport_feed_deliveries_total',
      help: 'Change-feed webhooks sent to the platform, by outcome (delivered: 2xx; failed: other status, timeout or network error, retried with backoff)',
      labelNames: ['outcome'],
      registers,
    }),
    feedDeliveryDuration: new Histogram({
      name: 'ledgerport_feed_delivery_duration_seconds',
      help: 'Time the platform took to answer a change-feed webhook, by outcome',
      labelNames: ['outcome'],
      buckets: SECONDS_FAST,
      registers,
    }),
    collectionFailures: new Counter({
      name: 'ledgerport_metrics_collection_failures_total',
      help: 'Scrapes whose database-backed gauges could not be read (timeout, database unreachable); in that scrape their labelled series are left out and the others are NaN',
      labelNames: ['source'],
      registers,
    }),
    jobQueue: new Gauge({
      name: 'ledgerport_job_queue_jobs',
      help: 'Jobs in the graphile-worker queue by task and state: ready (due, waiting for a worker), scheduled (due later, including retries waiting for their backoff), running (locked by a worker), failed (attempts exhausted, kept for inspection). Read from the database at scrape time; the same in every process',
      labelNames: ['task', 'state'],
      registers,
    }),
    jobQueueOldestReadyAge: new Gauge({
      name: 'ledgerport_job_queue_oldest_ready_age_seconds',
      help: 'How long the oldest ready job has been due (0 when none is waiting). Read from the database at scrape time',
      registers,
    }),
    documents: new Gauge({
      name: 'ledgerport_documents',
      help: 'Documents by sync status. Open statuses (received, held, queued, pushing, uncertain, failed) are exact, counted on a partial index that holds only open documents; synced and voided are exact while the documents table is small (under 16 MB) and estimated from the planner statistics above that. Read from the database at scrape time; the same in every process',
      labelNames: ['status'],
      registers,
    }),
    feedBacklog: new Gauge({
      name: 'ledgerport_feed_backlog_events',
      help: 'Change-feed events not yet delivered to the platform. Read from the database at scrape time',
      registers,
    }),
    feedBacklogOldestAge: new Gauge({
      name: 'ledgerport_feed_backlog_oldest_age_seconds',
      help: 'Age of the oldest undelivered change-feed event (0 when none). Read from the database at scrape time',
      registers,
    }),
  };
}

/** The gauges read from the database at scrape time (left out where there is no database to read). */
export const DATABASE_GAUGES = [
  'ledgerport_job_queue_jobs',
  'ledgerport_job_queue_oldest_ready_age_seconds',
  'ledgerport_documents',
  'ledgerport_feed_backlog_events',
  'ledgerport_feed_backlog_oldest_age_seconds',
] as const;

/** The provider a rate-governor key belongs to ("xero:org:…" → "xero"); bounded by the code's key prefixes. */
export const providerOfRateKey = (key: string): string => key.slice(0, Math.max(0, key.indexOf(':'))) || 'unknown';
