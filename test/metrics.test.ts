import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverTenantEvents } from '../src/feed/deliver.ts';
import { startMetricsServer } from '../src/observability/http.ts';
import { governorObserver } from '../src/observability/providers.ts';
import { createRateGovernor, quickbooksRateKeys } from '../src/providers/rate-governor.ts';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import { startGateway } from '../src/gateway.ts';
import { createLogger } from '../src/logger.ts';
import { createTestDatabase } from './helpers/db.ts';
import { LogCapture, shippedInvoice, startHarness, testEnv, type Harness } from './helpers/harness.ts';
import { delta, has, parseMetrics, total, type PromSample } from './helpers/prometheus.ts';
import { quickBooksFixture } from './helpers/providers.ts';
import { connectXero, startXeroHarness } from './helpers/xero.ts';

const scrape = async (h: Harness, headers: Record<string, string> = {}): Promise<PromSample[]> => {
  const res = await h.request('GET', '/metrics', { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(res.text);
};

describe('GET /metrics', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  // Tenant ids that must never show up in the output.
  const TENANT = `org_metrics_${randomUUID().slice(0, 8)}`;
  const OTHER = `org_metrics_other_${randomUUID().slice(0, 8)}`;

  it('counts webhooks accepted, duplicate and refused by exactly what was sent', async () => {
    const before = await scrape(h);
    const first = await h.sendOps(shippedInvoice({ tenantId: TENANT, id: 'inv_m1' }), { id: 'msg_m1' });
    const second = await h.sendOps(shippedInvoice({ tenantId: OTHER, id: 'inv_m2' }));
    const again = await h.sendOps(shippedInvoice({ tenantId: TENANT, id: 'inv_m1' }), { id: 'msg_m1' });
    const badSignature = await h.sendOps(shippedInvoice({ tenantId: TENANT, id: 'inv_m3' }), { secret: 'whsec_bm90IHRoZSBzZWNyZXQgYXQgYWxsIDAxMjM0NTY3' });
    const invalid = await h.sendOps({ type: 'sales_order.shipped', tenant_id: TENANT, occurred_at: '2026-11-21T10:00:00Z', data: { invoice: { id: 'inv_m4' } } });
    expect([first.status, second.status, again.status, badSignature.status, invalid.status]).toEqual([202, 202, 200, 401, 400]);
    const after = await scrape(h);

    const moved = (outcome: string) => delta(before, after, 'ledgerport_webhooks_received_total', { source: 'ops', outcome });
    expect({ accepted: moved('accepted'), duplicate: moved('duplicate'), ignored: moved('ignored'), refused: moved('refused'), failed: moved('failed') })
      .toEqual({ accepted: 2, duplicate: 1, ignored: 0, refused: 2, failed: 0 });
    expect(delta(before, after, 'ledgerport_webhooks_refused_total', { source: 'ops', reason: 'invalid_webhook_signature' })).toBe(1);
    expect(delta(before, after, 'ledgerport_webhooks_refused_total', { source: 'ops', reason: 'validation_failed' })).toBe(1);
    expect(delta(before, after, 'ledgerport_webhooks_refused_total', { source: 'ops' })).toBe(2);

    // By route template and status, with a latency histogram beside the counter.
    const requests = (status: string) => delta(before, after, 'ledgerport_http_requests_total', { method: 'POST', route: '/webhooks/ops', status });
    expect({ 202: requests('202'), 200: requests('200'), 401: requests('401'), 400: requests('400') }).toEqual({ 202: 2, 200: 1, 401: 1, 400: 1 });
    expect(delta(before, after, 'ledgerport_http_request_duration_seconds_count', { route: '/webhooks/ops' })).toBe(5);
    expect(delta(before, after, 'ledgerport_http_request_duration_seconds_bucket', { route: '/webhooks/ops', status: '202', le: '+Inf' })).toBe(2);

    // Group commit: the three deliveries that passed verification were written, in at least one batch.
    expect(delta(before, after, 'ledgerport_ingest_batch_size_sum')).toBe(3);
    expect(delta(before, after, 'ledgerport_ingest_batch_size_count')).toBeGreaterThanOrEqual(1);
    expect(delta(before, after, 'ledgerport_ingest_batch_duration_seconds_count', { outcome: 'committed' })).toBe(delta(before, after, 'ledgerport_ingest_batch_size_count'));
  });

  it('reads the queue, the documents by status and the feed backlog from the database', async () => {
    const res = await h.sendOps(shippedInvoice({ tenantId: TENANT, id: 'inv_q1' }));
    expect(res.status).toBe(202);
    const queued = await scrape(h);
    // Three documents so far (inv_m1, inv_m2, inv_q1), all received, each with its routing job due now.
    expect(total(queued, 'ledgerport_documents', { status: 'received' })).toBe(3);
    expect(total(queued, 'ledgerport_documents', { status: 'synced' })).toBe(0);
    expect(has(queued, 'ledgerport_documents', { status: 'voided' })).toBe(true);
    expect(total(queued, 'ledgerport_job_queue_jobs', { task: 'route_document', state: 'ready' })).toBe(3);
    expect(total(queued, 'ledgerport_job_queue_oldest_ready_age_seconds')).toBeGreaterThanOrEqual(0);
    // The change feed is not delivered as webhooks here (no PLATFORM_WEBHOOK_URL): no backlog to report.
    expect(has(queued, 'ledgerport_feed_backlog_events')).toBe(false);

    // runOnce takes what is ready when it looks; on a busy machine a job can be left for a second pass.
    await h.runJobs();
    await h.runJobs();
    const routed = await scrape(h);
    // No connection: routing holds them.
    expect(total(routed, 'ledgerport_documents', { status: 'received' })).toBe(0);
    expect(total(routed, 'ledgerport_documents', { status: 'held' })).toBe(3);
    expect(total(routed, 'ledgerport_job_queue_jobs', { task: 'route_document' })).toBe(0);
    expect(total(routed, 'ledgerport_job_queue_oldest_ready_age_seconds')).toBe(0);
  });

  it('labels requests by route template, never the raw path; an unknown path is "unmatched"', async () => {
    const token = await h.token(TENANT);
    const docId = randomUUID();
    await h.request('GET', `/v1/tenants/${TENANT}/documents/${docId}`, { token });
    await h.request('GET', `/no/such/${TENANT}`);
    const text = (await h.request('GET', '/metrics')).text;
    const samples = parseMetrics(text);
    expect(has(samples, 'ledgerport_http_requests_total', { method: 'GET', route: '/v1/tenants/:tenant_id/documents/:document_id', status: '404' })).toBe(true);
    expect(has(samples, 'ledgerport_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(true);
    // Bounded labels: no tenant or document id anywhere in the output.
    expect(text).not.toContain(TENANT);
    expect(text).not.toContain(OTHER);
    expect(text).not.toContain(docId);
    expect(text).not.toContain('inv_m1');
  });

  it('with tracing off, log lines carry no trace ids and job payloads no traceparent', async () => {
    const res = await h.sendOps(shippedInvoice({ tenantId: TENANT, id: 'inv_untraced' }));
    const { rows } = await sql<{ payload: Record<string, unknown> }>`
      select payload from graphile_worker._private_jobs where payload->>'document_id' = ${res.body.document_id}`.execute(h.database.db);
    expect(rows.map((r) => r.payload)).toEqual([{ document_id: res.body.document_id }]);
    expect(h.logs.lines.filter((l) => 'trace_id' in l || 'span_id' in l)).toEqual([]);
  });

  it("exports Node.js's process metrics", async () => {
    const samples = await scrape(h);
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(has(samples, name), name).toBe(true);
    }
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { METRICS_TOKEN } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers 401 without the token or with another, 200 with it', async () => {
    const missing = await h.request('GET', '/metrics');
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('missing_token');
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    for (const authorization of [`Bearer ${METRICS_TOKEN}x`, `Bearer ${METRICS_TOKEN.slice(0, -1)}`, 'Bearer short', `Basic ${METRICS_TOKEN}`, METRICS_TOKEN]) {
      const wrong = await h.request('GET', '/metrics', { headers: { authorization } });
      expect(wrong.status, authorization).toBe(401);
      expect(wrong.body.error.code).toBe('invalid_token');
      expect(wrong.text).not.toContain('ledgerport_');
    }
    const ok = await h.request('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('ledgerport_http_requests_total');
    // The refused scrapes were counted too, under their route.
    expect(total(parseMetrics(ok.text), 'ledgerport_http_requests_total', { route: '/metrics', status: '401' })).toBe(6);
  });

  it("the worker role's own listener applies the same rule and has a liveness probe", async () => {
    const server = await startMetricsServer(h.ctx.observability, { port: 0, host: '127.0.0.1', token: METRICS_TOKEN, logger: h.ctx.logger });
    try {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(has(parseMetrics(await ok.text()), 'ledgerport_documents', { status: 'failed' })).toBe(true);
      expect(await (await fetch(`${server.url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${server.url}/v1/tenants/x/documents`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

/**
 * ledgerport_provider_requests_total of one provider as { "operation status": count }, the API
 * calls' many operations summed as "api" (the OAuth and connect-time calls keep their names), so
 * it can be set beside what a sandbox logged (receivedBy).
 */
function countedBy(samples: readonly PromSample[], provider: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== 'ledgerport_provider_requests_total' || s.labels.provider !== provider || s.value === 0) continue;
    const key = `${OUTSIDE_API.has(s.labels.operation!) ? s.labels.operation : 'api'} ${s.labels.status}`;
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}
const OUTSIDE_API = new Set(['oauth_token', 'oauth_refresh', 'oauth_revoke', 'connections', 'companyinfo']);
const GRANT_OPERATION: Record<string, string> = { authorization_code: 'oauth_token', refresh_token: 'oauth_refresh', revoke: 'oauth_revoke' };

/** What a sandbox logged, in countedBy's shape: its API host's calls (named by `operationOf` their path) and its token endpoint's. */
function receivedBy(
  requests: readonly { path: string; status: number }[],
  tokenRequests: readonly { grant_type: string; status: number }[],
  operationOf: (path: string) => string,
): Record<string, number> {
  const out: Record<string, number> = {};
  const keys = [...requests.map((r) => `${operationOf(r.path)} ${r.status}`), ...tokenRequests.map((t) => `${GRANT_OPERATION[t.grant_type] ?? t.grant_type} ${t.status}`)];
  for (const key of keys) out[key] = (out[key] ?? 0) + 1;
  return out;
}

/** A sales invoice with its own number (providers refuse a number twice). */
const numberedInvoice = (tenantId: string, id: string) => {
  const event = shippedInvoice({ tenantId, id }) as { data: { invoice: Record<string, unknown> } };
  event.data.invoice.number = `N-${id}`;
  return event;
};

/** Connected, one invoice pushed, the access token refused (refresh, retry), then the refresh token refused (needs_reauth), then disconnected. */
async function connectPushRefreshDisconnect(h: Harness, tenantId: string, token: string, provider: {
  expireAccessTokens(): void;
  revokeRefreshTokens(): void;
  /** Runs between the first refresh and the refused one. */
  between?: () => Promise<void>;
}) {
  const statusOf = async (id: string) => (await h.request('GET', `/v1/tenants/${tenantId}/documents/${id}`, { token })).body.status;
  const push = async (id: string) => {
    const res = await h.sendOps(numberedInvoice(tenantId, id));
    expect(res.status).toBe(202);
    // runOnce takes what is ready when it looks; on a busy machine a job can be left for a second pass.
    await h.runJobs();
    await h.runJobs();
    return statusOf(res.body.document_id);
  };
  expect(await push('inv_p1')).toBe('synced');
  provider.expireAccessTokens();
  expect(await push('inv_p2')).toBe('synced');
  await provider.between?.();
  provider.revokeRefreshTokens();
  provider.expireAccessTokens();
  expect(await push('inv_p4')).toBe('held');
  expect((await h.request('DELETE', `/v1/tenants/${tenantId}/connection`, { token })).status).toBe(204);
}

describe('provider calls, documents synced and token refreshes: Xero', () => {
  let h: Harness;
  let sb: XeroSandbox;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ h, sb, close } = await startXeroHarness());
  });
  afterAll(async () => {
    await close();
  });

  it('counts every call the sandbox received, the OAuth and /connections calls too, by operation and status', async () => {
    const tenantId = `org_metrics_xero_${randomUUID().slice(0, 8)}`;
    const before = await scrape(h);
    const { token } = await connectXero(h, sb, tenantId);
    await h.request('PUT', `/v1/tenants/${tenantId}/defaults`, { token, body: { sales_invoice_account: '200', purchase_bill_account: '300' } });
    expect(sb.connections()).toHaveLength(1);
    await connectPushRefreshDisconnect(h, tenantId, token, { expireAccessTokens: () => sb.expireAccessTokens(), revokeRefreshTokens: () => sb.revokeRefreshTokens() });
    // The revocation reached Xero: it forgets the connection (the sandbox logs no revocations).
    expect(sb.connections()).toEqual([]);
    const after = await scrape(h);

    expect(countedBy(after, 'xero')).toMatchObject({
      'oauth_token 200': 1, 'connections 200': 1, 'oauth_refresh 200': 1, 'oauth_refresh 400': 1, 'oauth_revoke 200': 1, 'api 401': 2,
    });
    expect(countedBy(after, 'xero')).toEqual({ ...receivedBy(sb.requests, sb.tokenRequests, (path) => (path === '/connections' ? 'connections' : 'api')), 'oauth_revoke 200': 1 });
    expect(delta(before, after, 'ledgerport_provider_requests_total', { provider: 'xero', operation: 'createInvoices', status: '200' })).toBe(2);
    expect(delta(before, after, 'ledgerport_provider_request_duration_seconds_count', { provider: 'xero', operation: 'createInvoices' })).toBe(delta(before, after, 'ledgerport_provider_requests_total', { provider: 'xero', operation: 'createInvoices' }));
    expect(delta(before, after, 'ledgerport_provider_request_duration_seconds_count', { provider: 'xero', operation: 'oauth_refresh' })).toBe(2);
    expect(total(after, 'ledgerport_provider_rate_limited_total')).toBe(0);
    // Refreshes by outcome, as before: one made, one refused.
    expect(delta(before, after, 'ledgerport_token_refreshes_total', { provider: 'xero', outcome: 'refreshed' })).toBe(1);
    expect(delta(before, after, 'ledgerport_token_refreshes_total', { provider: 'xero', outcome: 'needs_reauth' })).toBe(1);
    expect(total(after, 'ledgerport_documents', { status: 'synced' })).toBe(2);
    expect(await scrapeText(h)).not.toContain(tenantId);
  });
});

describe('provider calls, documents synced and token refreshes: QuickBooks', () => {
  let p: Awaited<ReturnType<typeof quickBooksFixture>>;
  beforeAll(async () => {
    p = await quickBooksFixture();
  });
  afterAll(async () => {
    await p.close();
  });

  it('counts every call the sandbox received, the OAuth and companyinfo calls too, each retry of intuit-oauth apart', async () => {
    const tenantId = `org_metrics_qbo_${randomUUID().slice(0, 8)}`;
    const { sb, h } = p;
    const before = await scrape(h);
    const { token, orgId } = await p.connect(tenantId);
    expect((await h.request('PUT', `/v1/tenants/${tenantId}/defaults`, { token, body: p.defaults })).status).toBe(200);
    await connectPushRefreshDisconnect(h, tenantId, token, {
      expireAccessTokens: p.expireAccessTokens,
      revokeRefreshTokens: p.revokeRefreshTokens,
      // Intuit's token endpoint fails once: intuit-oauth tries again a second later, and that refresh succeeds.
      between: async () => {
        sb.failNext(1, { status: 503, path: /\/tokens\/bearer$/ });
        p.expireAccessTokens();
        const res = await h.sendOps(numberedInvoice(tenantId, 'inv_p3'));
        await h.runJobs();
        await h.runJobs();
        expect((await h.request('GET', `/v1/tenants/${tenantId}/documents/${res.body.document_id}`, { token })).body.status).toBe('synced');
      },
    });
    const after = await scrape(h);

    expect(countedBy(after, 'quickbooks')).toMatchObject({
      'oauth_token 200': 1, 'companyinfo 200': 1, 'oauth_refresh 200': 2, 'oauth_refresh 503': 1, 'oauth_refresh 400': 1, 'oauth_revoke 200': 1, 'api 401': 3,
    });
    // The sandbox logs the token calls its endpoint answered, not the failure injected in front of it: that one is added.
    expect(countedBy(after, 'quickbooks')).toEqual({ ...receivedBy(sb.requests, sb.tokenRequests, (path) => (/\/companyinfo\//.test(path) ? 'companyinfo' : 'api')), 'oauth_refresh 503': 1 });
    expect(sb.tokenRequests.filter((t) => t.grant_type === 'refresh_token').map((t) => t.status)).toEqual([200, 200, 400]);
    expect(delta(before, after, 'ledgerport_provider_request_duration_seconds_count', { provider: 'quickbooks', operation: 'oauth_refresh' })).toBe(4);
    expect(delta(before, after, 'ledgerport_provider_request_duration_seconds_count', { provider: 'quickbooks', operation: 'companyinfo' })).toBe(1);
    expect(delta(before, after, 'ledgerport_token_refreshes_total', { provider: 'quickbooks', outcome: 'refreshed' })).toBe(2);
    expect(delta(before, after, 'ledgerport_token_refreshes_total', { provider: 'quickbooks', outcome: 'needs_reauth' })).toBe(1);
    const text = await scrapeText(h);
    expect(text).not.toContain(tenantId);
    expect(text).not.toContain(orgId);
  });
});

const scrapeText = async (h: Harness) => (await h.request('GET', '/metrics')).text;

describe('rate governor waits and refusals', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('counts the sleeps, their seconds and the waits handed back to the caller, by provider and limit', async () => {
    const governor = createRateGovernor(h.database.db, { onWait: governorObserver(h.ctx.observability) });
    const keys = quickbooksRateKeys('realm_metrics');
    await governor.block(keys[0]!.key, 300, 'throttled');
    const slept = await governor.acquire(keys, { maxWaitMs: 5_000 });
    expect(slept.granted).toBe(true);
    if (slept.granted) await slept.lease.release();
    await governor.block(keys[0]!.key, 60_000, 'throttled');
    expect((await governor.acquire(keys, { maxWaitMs: 100 })).granted).toBe(false);

    const samples = await scrape(h);
    expect(total(samples, 'ledgerport_governor_waits_total', { provider: 'quickbooks', reason: 'blocked' })).toBeGreaterThanOrEqual(1);
    expect(total(samples, 'ledgerport_governor_wait_seconds_total', { provider: 'quickbooks', reason: 'blocked' })).toBeGreaterThan(0.2);
    expect(total(samples, 'ledgerport_governor_refusals_total', { provider: 'quickbooks', reason: 'blocked' })).toBe(1);
    expect(await scrapeText(h)).not.toContain('realm_metrics');
  });
});

describe('change feed deliveries and backlog', () => {
  const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
  const TENANT = 'org_metrics_feed';
  let h: Harness;
  let server: Server;
  let url: string;
  let answered = 0;
  beforeAll(async () => {
    // The platform: accepts the first two deliveries, then fails.
    server = createServer((req, res) => {
      req.resume().on('end', () => res.writeHead(++answered <= 2 ? 204 : 503).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    h = await startHarness({ env: { PLATFORM_WEBHOOK_URL: url, PLATFORM_WEBHOOK_SECRET: SECRET } });
  });
  afterAll(async () => {
    await h.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('counts delivered and failed webhooks and reads the undelivered backlog', async () => {
    await h.database.db.insertInto('tenants').values({ id: TENANT }).execute();
    await h.database.db.transaction().execute((tx) =>
      h.ctx.services.feed.appendEvents(tx, TENANT, [1, 2, 3].map((n) => ({ type: 'sync_run.finished' as const, data: { n } }))),
    );
    const before = await scrape(h);
    expect(total(before, 'ledgerport_feed_backlog_events')).toBe(3);
    expect(total(before, 'ledgerport_feed_backlog_oldest_age_seconds')).toBeGreaterThanOrEqual(0);

    const result = await deliverTenantEvents({ db: h.database.db, pool: h.database.pool, logger: h.ctx.logger, now: () => new Date(), fetch, observability: h.ctx.observability }, { url, secret: SECRET }, TENANT);
    expect(result).toMatchObject({ kind: 'reschedule', delivered: 2 });
    const after = await scrape(h);
    expect(delta(before, after, 'ledgerport_feed_deliveries_total', { outcome: 'delivered' })).toBe(2);
    expect(delta(before, after, 'ledgerport_feed_deliveries_total', { outcome: 'failed' })).toBe(1);
    expect(delta(before, after, 'ledgerport_feed_delivery_duration_seconds_count')).toBe(3);
    expect(total(after, 'ledgerport_feed_backlog_events')).toBe(1);
    expect(await scrapeText(h)).not.toContain(TENANT);
  });
});

describe('where each role serves /metrics', () => {
  it('the worker role on METRICS_PORT (its jobs counted from graphile-worker events), web on its HTTP port', async () => {
    const db = await createTestDatabase();
    const logs = new LogCapture();
    const logger = createLogger({ level: 'warn', destination: logs });
    const config = loadConfig(testEnv(db.url, { HOST: '127.0.0.1', PORT: '0', METRICS_PORT: '0' }));
    const worker = await startGateway(config, logger, 'worker');
    const web = await startGateway(config, logger, 'web');
    try {
      expect(worker.url).toBeUndefined();
      expect(web.metricsUrl).toBe(`${web.url}/metrics`);
      expect(new URL(worker.metricsUrl).port).not.toBe(new URL(web.url!).port);
      // The worker queues sweep_pushes at start; its run shows up as a job by task and outcome.
      let samples: PromSample[] = [];
      for (const started = Date.now(); Date.now() - started < 10_000; await new Promise((r) => setTimeout(r, 100))) {
        samples = parseMetrics(await (await fetch(worker.metricsUrl)).text());
        if (total(samples, 'ledgerport_jobs_total', { task: 'sweep_pushes', outcome: 'success' }) >= 1) break;
      }
      expect(total(samples, 'ledgerport_jobs_total', { task: 'sweep_pushes', outcome: 'success' })).toBeGreaterThanOrEqual(1);
      expect(total(samples, 'ledgerport_job_duration_seconds_count', { task: 'sweep_pushes' })).toBeGreaterThanOrEqual(1);
      const webSamples = parseMetrics(await (await fetch(web.metricsUrl)).text());
      expect(has(webSamples, 'ledgerport_documents', { status: 'received' })).toBe(true);
      expect(total(webSamples, 'ledgerport_jobs_total')).toBe(0);
    } finally {
      await web.stop();
      await worker.stop();
      await db.drop();
    }
  });
});

describe('metrics and tracing settings', () => {
  const base = testEnv('postgres://localhost/unused');

  it('lists every bad one at once', () => {
    let problems: string[] = [];
    try {
      loadConfig({ ...base, METRICS_PORT: '70000', METRICS_TOKEN: 'short', OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url', OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign', OTEL_TRACES_SAMPLER: 'sometimes', OTEL_TRACES_SAMPLER_ARG: '1.5' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      problems = (error as ConfigError).problems;
    }
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      ['METRICS_PORT', 'METRICS_TOKEN', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG'].sort(),
    );
  });

  it('defaults: metrics open on port 9464 for the worker, tracing off', () => {
    const config = loadConfig(base);
    expect(config.metrics).toEqual({ port: 9464, token: undefined });
    expect(config.tracing).toEqual({ endpoint: undefined, headers: {}, serviceName: 'ledgerport', sampler: 'parentbased_always_on', samplerArg: 1 });
  });

  it('reads the OTLP endpoint, headers (percent-decoded), service name and sampler', () => {
    const config = loadConfig({
      ...base,
      METRICS_TOKEN: 'a-long-enough-metrics-token',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=abc%3D%3D, x-extra=1',
      OTEL_SERVICE_NAME: 'ledgerport-web',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(config.metrics.token).toBe('a-long-enough-metrics-token');
    expect(config.tracing).toEqual({
      endpoint: 'https://otel.example.com:4318',
      headers: { 'x-honeycomb-team': 'abc==', 'x-extra': '1' },
      serviceName: 'ledgerport-web',
      sampler: 'parentbased_traceidratio',
      samplerArg: 0.25,
    });
  });
});
