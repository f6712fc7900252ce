import type pg from 'pg';
import type { GatewayClient } from '../../src/demo/client.ts';
import type { XeroSandbox } from '../../src/sandbox/xero/index.ts';
import { shippedInvoice } from '../drain/invoices.ts';
import { loadAverage, metricSum, scrapeMetrics } from '../lib/split-gateway.ts';
import { sleep, summarize, type LatencySummary } from '../lib/stats.ts';
import { invoiceNumbersOf, isInvoiceCreate, waitForSynced } from '../lib/xero-orgs.ts';

/** What the worker's /metrics says about one phase (differences of the counters over it). */
export interface WorkerCounters {
  readonly governorWaitSeconds: Record<string, number>;
  readonly governorWaits: number;
  /** Calls the governor held back longer than the caller may wait: the push job was rescheduled. */
  readonly governorRefusals: number;
  readonly createCalls: number;
  readonly createSeconds: number;
  readonly otherXeroCalls: number;
  readonly pushJobs: number;
  readonly pushJobSeconds: number;
  readonly routeJobs: number;
  readonly routeJobSeconds: number;
}

export interface PhaseResult {
  readonly rate: number;
  readonly tenant: string;
  readonly sent: number;
  readonly accepted: number;
  readonly synced: boolean;
  /** Webhook sent → the sandbox received the PUT /Invoices that carried it. */
  readonly endToEnd: LatencySummary;
  readonly parts: { readonly label: string; readonly summary: LatencySummary }[];
  readonly creates: number;
  readonly perCreate: { readonly mean: number; readonly max: number };
  /** Time between consecutive create calls (ms). */
  readonly createGap: LatencySummary;
  /** Most create calls in any 61 s (the governor's window for Xero's 60 a minute). */
  readonly maxCallsPer61s: number;
  readonly otherCalls: number;
  readonly throttled: number;
  readonly counters: WorkerCounters | undefined;
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly missing: number;
}

const SETTLE_TIMEOUT_MS = 120_000;

async function counters(workerPid: number): Promise<Record<string, number> | undefined> {
  const text = await scrapeMetrics(workerPid);
  if (!text) return undefined;
  const reasons = ['concurrent', 'minute', 'day', 'blocked'];
  return {
    ...Object.fromEntries(reasons.map((r) => [`wait:${r}`, metricSum(text, 'ledgerport_governor_wait_seconds_total', { provider: 'xero', reason: r })])),
    waits: metricSum(text, 'ledgerport_governor_waits_total', { provider: 'xero' }),
    refusals: metricSum(text, 'ledgerport_governor_refusals_total', { provider: 'xero' }),
    createCalls: metricSum(text, 'ledgerport_provider_request_duration_seconds_count', { provider: 'xero', operation: 'createInvoices' }),
    createSeconds: metricSum(text, 'ledgerport_provider_request_duration_seconds_sum', { provider: 'xero', operation: 'createInvoices' }),
    allCalls: metricSum(text, 'ledgerport_provider_request_duration_seconds_count', { provider: 'xero' }),
    pushJobs: metricSum(text, 'ledgerport_job_duration_seconds_count', { task: 'push_documents' }),
    pushJobSeconds: metricSum(text, 'ledgerport_job_duration_seconds_sum', { task: 'push_documents' }),
    routeJobs: metricSum(text, 'ledgerport_job_duration_seconds_count', { task: 'route_document' }),
    routeJobSeconds: metricSum(text, 'ledgerport_job_duration_seconds_sum', { task: 'route_document' }),
  };
}

function difference(before: Record<string, number> | undefined, after: Record<string, number> | undefined): WorkerCounters | undefined {
  if (!before || !after) return undefined;
  const d = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  return {
    governorWaitSeconds: Object.fromEntries(['concurrent', 'minute', 'day', 'blocked'].map((r) => [r, d(`wait:${r}`)])),
    governorWaits: d('waits'),
    governorRefusals: d('refusals'),
    createCalls: d('createCalls'),
    createSeconds: d('createSeconds'),
    otherXeroCalls: d('allCalls') - d('createCalls'),
    pushJobs: d('pushJobs'),
    pushJobSeconds: d('pushJobSeconds'),
    routeJobs: d('routeJobs'),
    routeJobSeconds: d('routeJobSeconds'),
  };
}

/** Sends one invoice per customer and waits until they are synced, so the contacts exist before measuring. */
export async function warmUp(client: GatewayClient, db: pg.Client, tenant: string, customers: number): Promise<void> {
  const answers = await Promise.all(Array.from({ length: customers }, (_, n) => client.sendWebhook(shippedInvoice(tenant, n, customers), `msg_${tenant}_${n}`)));
  const refused = answers.filter((a) => a.status !== 202);
  if (refused.length) throw new Error(`warm-up webhook answered ${refused[0]!.status}: ${JSON.stringify(refused[0]!.body)}`);
  const { done, statuses } = await waitForSynced(db, [tenant], customers, SETTLE_TIMEOUT_MS);
  if (!done) throw new Error(`warm-up of ${tenant} did not sync: ${JSON.stringify(statuses)}`);
}

/**
 * One open-loop phase: `rate` webhooks a second for `seconds` to one organisation (already warmed
 * up: `first` invoices sent), then waits until all are synced and reads when each stage happened.
 */
export async function runPhase(opts: {
  client: GatewayClient;
  db: pg.Client;
  sandbox: XeroSandbox;
  orgId: string;
  tenant: string;
  rate: number;
  seconds: number;
  customers: number;
  first: number;
  workerPid: number;
  progress: (message: string) => void;
}): Promise<PhaseResult> {
  const { client, db, sandbox, tenant, rate } = opts;
  const count = Math.round(rate * opts.seconds);
  const loadBefore = loadAverage();
  const before = await counters(opts.workerPid);
  const sentAt = new Map<number, number>();
  const answeredAt = new Map<number, number>();
  let accepted = 0;
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now() + 50;
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const n = opts.first + i;
    sentAt.set(n, Date.now());
    inFlight.push(
      client.sendWebhook(shippedInvoice(tenant, n, opts.customers), `msg_${tenant}_${n}`).then(
        (res) => {
          answeredAt.set(n, Date.now());
          if (res.status === 202) accepted++;
        },
        () => undefined,
      ),
    );
  }
  await Promise.all(inFlight);
  opts.progress(`  ${tenant}: ${accepted} of ${count} webhooks accepted at ${rate}/s; waiting for them to sync`);
  const settled = await waitForSynced(db, [tenant], opts.first + count, SETTLE_TIMEOUT_MS);
  const loadAfter = loadAverage();
  const after = await counters(opts.workerPid);

  // When each stage happened, by invoice: document_events (database clock, same machine).
  const { rows } = await db.query<{ source_id: string; to_status: string; at_ms: string }>(
    `select d.source_id, e.to_status, (extract(epoch from min(e.at)) * 1000)::float8 as at_ms
       from documents d join document_events e on e.document_id = d.id
      where d.tenant_id = $1 group by 1, 2`,
    [tenant],
  );
  const stage = new Map<string, Map<number, number>>();
  for (const r of rows) {
    const n = Number(r.source_id.replace(/^inv_drain_/, ''));
    let m = stage.get(r.to_status);
    if (!m) stage.set(r.to_status, (m = new Map()));
    m.set(n, Number(r.at_ms));
  }
  // The sandbox's receipt of the create that carried each invoice (the first that answered 200).
  const receipts = new Map<number, number>();
  const creates = sandbox.requests.filter((r) => r.tenantId === opts.orgId && isInvoiceCreate(r) && r.time >= (sentAt.get(opts.first) ?? 0) - 1);
  const okCreates = creates.filter((r) => r.status === 200);
  for (const r of okCreates) {
    for (const number of invoiceNumbersOf(r)) {
      const n = Number(number.replace(/^INV-/, '')) - 100000;
      if (!receipts.has(n)) receipts.set(n, r.time);
    }
  }
  const phaseCalls = sandbox.requests.filter((r) => r.tenantId === opts.orgId && r.time >= (sentAt.get(opts.first) ?? 0) - 1);
  const throttled = phaseCalls.filter((r) => r.status === 429).length;

  const series = (from: (n: number) => number | undefined, to: (n: number) => number | undefined) => {
    const out: number[] = [];
    for (const n of sentAt.keys()) {
      const a = from(n);
      const b = to(n);
      if (a !== undefined && b !== undefined) out.push(b - a);
    }
    return summarize(out);
  };
  const sent = (n: number) => sentAt.get(n);
  const at = (status: string) => (n: number) => stage.get(status)?.get(n);
  const receipt = (n: number) => receipts.get(n);
  const times = okCreates.map((r) => r.time);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  let maxPerWindow = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 61_000) j++;
    maxPerWindow = Math.max(maxPerWindow, i - j + 1);
  }
  const sizes = okCreates.map((r) => invoiceNumbersOf(r).length);
  return {
    rate,
    tenant,
    sent: count,
    accepted,
    synced: settled.done,
    endToEnd: series(sent, receipt),
    parts: [
      { label: 'webhook answered 202', summary: series(sent, (n) => answeredAt.get(n)) },
      { label: 'routed: queued for push', summary: series(sent, at('queued')) },
      { label: 'queued → claimed in a batch', summary: series(at('queued'), at('pushing')) },
      { label: 'claimed → create received', summary: series(at('pushing'), receipt) },
      { label: 'create received → synced', summary: series(receipt, at('synced')) },
    ],
    creates: okCreates.length,
    perCreate: { mean: sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length), max: Math.max(0, ...sizes) },
    createGap: summarize(gaps),
    maxCallsPer61s: maxPerWindow,
    otherCalls: phaseCalls.length - creates.length,
    throttled,
    counters: difference(before, after),
    loadBefore,
    loadAfter,
    missing: count - [...sentAt.keys()].filter((n) => receipts.has(n)).length,
  };
}
