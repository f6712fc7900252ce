import type pg from 'pg';
import type { GatewayClient } from '../../src/demo/client.ts';
import type { RequestLogEntry, XeroSandbox } from '../../src/sandbox/xero/index.ts';
import { shippedInvoice } from '../drain/invoices.ts';
import { loadAverage } from '../lib/split-gateway.ts';
import { sleep, summarize, type LatencySummary } from '../lib/stats.ts';
import { invoiceNumbersOf, isInvoiceCreate, waitForSynced } from '../lib/xero-orgs.ts';
import { counterDifference, readWorkerCounters, type WorkerCounters } from './counters.ts';
import type { LoadSpec } from './load.ts';

/** A tenant of the bench and the sandbox organisation it is connected to. */
export interface PhaseOrg {
  readonly tenant: string;
  /** The Xero organisation id: what the sandbox's request log names as tenantId. */
  readonly orgId: string;
}

export interface PhaseResult {
  readonly load: LoadSpec;
  readonly tenants: readonly string[];
  readonly sent: number;
  readonly accepted: number;
  readonly synced: boolean;
  /** Webhook sent → the sandbox received the PUT /Invoices that carried it. */
  readonly endToEnd: LatencySummary;
  readonly parts: { readonly label: string; readonly summary: LatencySummary }[];
  readonly creates: number;
  readonly perCreate: { readonly mean: number; readonly max: number };
  /** Time between consecutive create calls to the same organisation (ms), over all of them. */
  readonly createGap: LatencySummary;
  /** Most create calls to one organisation in any 61 s (the governor's window for Xero's 60 a minute). */
  readonly maxCallsPer61s: number;
  readonly otherCalls: number;
  readonly throttled: number;
  readonly counters: WorkerCounters | undefined;
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly missing: number;
}

const SETTLE_TIMEOUT_MS = 120_000;
const WINDOW_MS = 61_000;

/**
 * Sends one invoice per customer to each tenant and waits until all are synced, so the contacts
 * exist before measuring. The tenants' webhooks go one tenant after another; their pushes then
 * run concurrently (each organisation has its own budget).
 */
export async function warmUp(client: GatewayClient, db: pg.Client, tenants: readonly string[], customers: number): Promise<void> {
  for (const tenant of tenants) {
    const answers = await Promise.all(Array.from({ length: customers }, (_, n) => client.sendWebhook(shippedInvoice(tenant, n, customers), `msg_${tenant}_${n}`)));
    const refused = answers.filter((a) => a.status !== 202);
    if (refused.length) throw new Error(`warm-up webhook for ${tenant} answered ${refused[0]!.status}: ${JSON.stringify(refused[0]!.body)}`);
  }
  const { done, statuses } = await waitForSynced(db, tenants, tenants.length * customers, SETTLE_TIMEOUT_MS);
  if (!done) throw new Error(`warm-up of ${tenants.join(', ')} did not sync: ${JSON.stringify(statuses)}`);
}

/** Gaps between one organisation's consecutive calls and the most of them in any 61 s. */
function pacing(times: readonly number[]): { gaps: number[]; maxPerWindow: number } {
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  let maxPerWindow = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= WINDOW_MS) j++;
    maxPerWindow = Math.max(maxPerWindow, i - j + 1);
  }
  return { gaps, maxPerWindow };
}

/**
 * One open-loop phase: `load.rate` webhooks a second in total for `seconds`, message i to
 * organisation i % k (each already warmed up: `first` invoices sent), so each organisation gets
 * its invoices first, first + 1, …; then waits until all are synced and reads when each stage
 * happened. Invoice numbers repeat across organisations, so everything is keyed by both.
 */
export async function runPhase(opts: {
  client: GatewayClient;
  db: pg.Client;
  sandbox: XeroSandbox;
  load: LoadSpec;
  orgs: readonly PhaseOrg[];
  seconds: number;
  customers: number;
  first: number;
  workerPid: number;
  progress: (message: string) => void;
}): Promise<PhaseResult> {
  const { client, db, sandbox, load, orgs } = opts;
  const k = orgs.length;
  const tenants = orgs.map((o) => o.tenant);
  const key = (org: number, n: number) => `${org}:${n}`;
  const count = Math.round(load.rate * opts.seconds);
  const loadBefore = loadAverage();
  const before = await readWorkerCounters(opts.workerPid);
  const sentAt = new Map<string, number>();
  const answeredAt = new Map<string, number>();
  let accepted = 0;
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now() + 50;
  let phaseStart = Number.POSITIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / load.rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const org = i % k;
    const n = opts.first + Math.floor(i / k);
    const id = key(org, n);
    const tenant = orgs[org]!.tenant;
    const now = Date.now();
    phaseStart = Math.min(phaseStart, now);
    sentAt.set(id, now);
    inFlight.push(
      client.sendWebhook(shippedInvoice(tenant, n, opts.customers), `msg_${tenant}_${n}`).then(
        (res) => {
          answeredAt.set(id, Date.now());
          if (res.status === 202) accepted++;
        },
        () => undefined,
      ),
    );
  }
  await Promise.all(inFlight);
  opts.progress(`  ${k === 1 ? tenants[0] : `${k} tenants`}: ${accepted} of ${count} webhooks accepted at ${load.rate}/s; waiting for them to sync`);
  const settled = await waitForSynced(db, tenants, k * opts.first + count, SETTLE_TIMEOUT_MS);
  const loadAfter = loadAverage();
  const after = await readWorkerCounters(opts.workerPid);

  // When each stage happened, by organisation and invoice: document_events (database clock, same machine).
  const orgOfTenant = new Map(orgs.map((o, i) => [o.tenant, i]));
  const { rows } = await db.query<{ tenant_id: string; source_id: string; to_status: string; at_ms: string }>(
    `select d.tenant_id, d.source_id, e.to_status, (extract(epoch from min(e.at)) * 1000)::float8 as at_ms
       from documents d join document_events e on e.document_id = d.id
      where d.tenant_id = any($1) group by 1, 2, 3`,
    [tenants],
  );
  const stage = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const id = key(orgOfTenant.get(r.tenant_id)!, Number(r.source_id.replace(/^inv_drain_/, '')));
    let m = stage.get(r.to_status);
    if (!m) stage.set(r.to_status, (m = new Map()));
    m.set(id, Number(r.at_ms));
  }
  // Each organisation's calls since the phase began; the sandbox names the organisation as tenantId.
  const orgOfXeroId = new Map(orgs.map((o, i) => [o.orgId, i]));
  const callsByOrg: RequestLogEntry[][] = orgs.map(() => []);
  for (const r of sandbox.requests) {
    const org = r.tenantId === undefined ? undefined : orgOfXeroId.get(r.tenantId);
    if (org !== undefined && r.time >= phaseStart - 1) callsByOrg[org]!.push(r);
  }
  // The sandbox's receipt of the create that carried each invoice (the first that answered 200).
  const receipts = new Map<string, number>();
  const gaps: number[] = [];
  const sizes: number[] = [];
  let maxCallsPer61s = 0;
  let creates = 0;
  for (const [org, calls] of callsByOrg.entries()) {
    const orgCreates = calls.filter(isInvoiceCreate);
    creates += orgCreates.length;
    const okCreates = orgCreates.filter((r) => r.status === 200);
    for (const r of okCreates) {
      const numbers = invoiceNumbersOf(r);
      sizes.push(numbers.length);
      for (const number of numbers) {
        const id = key(org, Number(number.replace(/^INV-/, '')) - 100000);
        if (!receipts.has(id)) receipts.set(id, r.time);
      }
    }
    const paced = pacing(okCreates.map((r) => r.time));
    gaps.push(...paced.gaps);
    maxCallsPer61s = Math.max(maxCallsPer61s, paced.maxPerWindow);
  }
  const phaseCalls = callsByOrg.flat();

  const series = (from: (id: string) => number | undefined, to: (id: string) => number | undefined) => {
    const out: number[] = [];
    for (const id of sentAt.keys()) {
      const a = from(id);
      const b = to(id);
      if (a !== undefined && b !== undefined) out.push(b - a);
    }
    return summarize(out);
  };
  const sent = (id: string) => sentAt.get(id);
  const at = (status: string) => (id: string) => stage.get(status)?.get(id);
  const receipt = (id: string) => receipts.get(id);
  return {
    load,
    tenants,
    sent: count,
    accepted,
    synced: settled.done,
    endToEnd: series(sent, receipt),
    parts: [
      { label: 'webhook answered 202', summary: series(sent, (id) => answeredAt.get(id)) },
      { label: 'routed: queued for push', summary: series(sent, at('queued')) },
      { label: 'queued → claimed in a batch', summary: series(at('queued'), at('pushing')) },
      { label: 'claimed → create received', summary: series(at('pushing'), receipt) },
      { label: 'create received → synced', summary: series(receipt, at('synced')) },
    ],
    creates: sizes.length,
    perCreate: { mean: sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length), max: Math.max(0, ...sizes) },
    createGap: summarize(gaps),
    maxCallsPer61s,
    otherCalls: phaseCalls.length - creates,
    throttled: phaseCalls.filter((r) => r.status === 429).length,
    counters: counterDifference(before, after),
    loadBefore,
    loadAfter,
    missing: count - [...sentAt.keys()].filter((id) => receipts.has(id)).length,
  };
}
