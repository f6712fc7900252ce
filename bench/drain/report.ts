import { callBreakdown, type CallRecord, type DemoProvider, type Holdings, type Throttling } from '../../src/demo/provider.ts';
import type { ProviderName } from '../../src/demo/provider.ts';
import { formatTable, int, ratio } from '../lib/table.ts';
import type { SendResult } from './send.ts';
import type { StatusCounts } from './progress.ts';
import { printVerdict } from '../lib/print-verdict.ts';

export const TARGET_WALL_RATIO = 1.1;

/** Documents per API call each provider should reach, and why that number. */
export const TARGET_DOCS_PER_CALL: Record<ProviderName, { readonly value: number; readonly why: string }> = {
  xero: { value: 45, why: '50 per PUT /Invoices, less up to 10% for contact and reference look-ups' },
  quickbooks: {
    value: 25,
    why: '30 per POST /batch less look-ups (accounts, tax codes, the 50 customers, the sales item): at most one look-up call for every five batch calls',
  },
};

export interface DrainReport {
  readonly header: readonly string[];
  readonly provider: Pick<DemoProvider, 'name' | 'short' | 'orgNoun' | 'perMinute' | 'documentsPerRequest' | 'createCall'>;
  readonly documents: number;
  readonly sent: SendResult;
  /** From the first webhook until every document was synced (or the run gave up). */
  readonly wallSeconds: number;
  readonly finished: boolean;
  readonly firstWebhookAt: number;
  readonly final: StatusCounts;
  readonly calls: readonly CallRecord[];
  readonly holdings: Pick<Holdings, 'count' | 'duplicates'>;
  readonly throttling: Throttling;
  /** Undefined when the sandbox does not check request bodies against a contract (QuickBooks). */
  readonly contractViolations: number | undefined;
  readonly batches: { total: number; deferred: number; rateLimited: number; sizes: number[] } | string;
  /** --ingest-first: the drain timed from the worker's start (after the ingest), the window the target is measured on. */
  readonly drainWindow?: { readonly seconds: number; readonly startupSeconds: number; readonly cpu?: string };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function sizeSummary(sizes: readonly number[], perRequest: number): string {
  if (sizes.length === 0) return 'none';
  const sorted = [...sizes].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const full = sizes.filter((s) => s === perRequest).length;
  return `min ${sorted[0]}, median ${median}, max ${sorted.at(-1)}; ${full} of ${sizes.length} full (${perRequest})`;
}

/** Calls per real minute from the first webhook, and the longest silence between create calls. */
function pacing(requests: readonly CallRecord[], creates: readonly CallRecord[], from: number) {
  const perMinute: number[] = [];
  for (const r of requests) {
    const minute = Math.max(0, Math.floor((r.time - from) / 60_000));
    perMinute[minute] = (perMinute[minute] ?? 0) + 1;
  }
  let longestGap = 0;
  let gapsOver5s = 0;
  let previous = creates[0]?.time ?? from;
  for (const r of creates) {
    const gap = r.time - previous;
    if (gap > longestGap) longestGap = gap;
    if (gap > 5_000) gapsOver5s++;
    previous = r.time;
  }
  const firstCreate = creates[0] ? (creates[0].time - from) / 1000 : Number.NaN;
  return { perMinute: Array.from(perMinute, (n) => n ?? 0), longestGap, gapsOver5s, firstCreate };
}

/** Prints the report to stdout; returns whether the integrity checks and the targets held. */
export function printDrainReport(r: DrainReport): { integrityOk: boolean; targetsMet: boolean } {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const p = r.provider;
  const perRequest = p.documentsPerRequest;
  const target = TARGET_DOCS_PER_CALL[p.name];
  const creates = r.calls.filter((c) => c.create);
  const okCreates = creates.filter((c) => c.status === 200);
  const totalCalls = r.calls.length;
  const bound = r.documents / perRequest / p.perMinute * 60;
  const measured = r.drainWindow?.seconds ?? r.wallSeconds;
  const wallRatio = measured / bound;
  const perCall = r.documents / totalCalls;
  const perCreate = r.documents / creates.length;
  const notSynced = Object.entries(r.final).filter(([status]) => status !== 'synced');
  const notSyncedCount = sum(notSynced.map(([, n]) => n));
  const pace = pacing(r.calls, creates, r.firstWebhookAt);
  const documentsSent = sum(okCreates.map((c) => c.documents));
  const lookups = totalCalls - creates.length;

  for (const line of r.header) out(line);
  out();
  out(`  documents                 ${int(r.documents)} shipped invoices, one ${p.orgNoun}`);
  out(`  webhooks (ingest)         ${int(r.sent.accepted)} accepted (202) in ${fixed(r.sent.seconds)} s = ${int(r.sent.accepted / r.sent.seconds)}/s; answers ${[...r.sent.statuses].map(([s, n]) => `${s}×${n}`).join(', ')}`);
  out(`  wall time                 ${fixed(r.wallSeconds)} s from the first webhook to the last document synced${r.finished ? '' : ' (NOT FINISHED: gave up)'}`);
  out(`  after the last webhook    ${fixed(r.wallSeconds - r.sent.seconds)} s from the last webhook accepted to the last document synced`);
  out(`  bound                     ${fixed(bound)} s = ${int(r.documents)} / ${perRequest} per call = ${int(Math.ceil(r.documents / perRequest))} calls at ${p.perMinute}/min`);
  if (r.drainWindow) {
    out(`  drain window              ${fixed(r.drainWindow.seconds)} s from the worker process's start (after every webhook was ingested, no worker running) to the last document synced; its start-up (until it listened for jobs) ${fixed(r.drainWindow.startupSeconds)} s`);
    if (r.drainWindow.cpu) out(`    CPU in the window       ${r.drainWindow.cpu}`);
    out(`  drain window / bound      ${ratio(wallRatio)}`);
  } else out(`  wall / bound              ${ratio(wallRatio)}${r.sent.seconds > bound ? ` (the ingest alone took ${ratio(r.sent.seconds / bound)} the bound)` : ''}`);
  out(`  first create call         ${fixed(pace.firstCreate)} s after the first webhook`);
  out(`  ${`creates (${p.createCall})`.padEnd(25)} ${int(creates.length)} (${int(okCreates.length)} answered 200, carrying ${int(documentsSent)} documents)`);
  out(`  documents per create      ${sizeSummary(okCreates.map((c) => c.documents), perRequest)}`);
  out(`  total API calls           ${int(totalCalls)} at the sandbox for the ${p.orgNoun} (stats.calls ${int(r.throttling.calls)}); ${int(lookups)} besides the creates`);
  out(`    by call                 ${[...callBreakdown(r.calls)].map(([call, n]) => `${call} ×${n}`).join(', ')}`);
  out(`  documents per call        ${fixed(perCall)} per API call, ${fixed(perCreate)} per create call`);
  out(`  target per call           ≥ ${target.value}: ${target.why}`);
  out(`  calls per minute          ${pace.perMinute.join(', ')} (minute 1, 2, …)`);
  out(`  longest pause             ${fixed(pace.longestGap / 1000)} s between create calls; ${pace.gapsOver5s} pause(s) over 5 s`);
  if (typeof r.batches === 'string') out(`  push batches              could not read: ${r.batches}`);
  else {
    out(`  push batches (database)   ${int(r.batches.total)} claimed, ${int(r.batches.deferred)} deferred (${int(r.batches.rateLimited)} by rate limits); claimed sizes ${sizeSummary(r.batches.sizes, perRequest)}`);
  }
  out(`  429 answers               ${int(r.throttling.throttled)} (${r.throttling.detail})`);
  out(`  duplicates at the sandbox ${r.holdings.duplicates.length}${r.holdings.duplicates.length ? `: ${r.holdings.duplicates.slice(0, 5).join(', ')}` : ''} (${int(r.holdings.count)} documents held)`);
  out(`  documents not synced      ${int(notSyncedCount)}${notSynced.length ? ` (${notSynced.map(([s, n]) => `${s} ${n}`).join(', ')})` : ''}`);
  out(`  contract violations       ${r.contractViolations ?? 'not checked by this sandbox'}`);
  out();

  const checks = [
    { target: `documents per API call ≥ ${target.value}`, measured: fixed(perCall), ok: perCall >= target.value },
    { target: 'no 429 answers', measured: int(r.throttling.throttled), ok: r.throttling.throttled === 0 },
    { target: `no duplicate invoices at ${p.short}`, measured: String(r.holdings.duplicates.length), ok: r.holdings.duplicates.length === 0 },
    { target: `${r.drainWindow ? 'drain window' : 'wall'} ≤ ${TARGET_WALL_RATIO} × bound (${fixed(bound * TARGET_WALL_RATIO)} s)`, measured: `${fixed(measured)} s (${ratio(wallRatio)})`, ok: r.finished && wallRatio <= TARGET_WALL_RATIO },
  ];
  const integrity = [
    { target: 'every document synced', measured: `${int(notSyncedCount)} not synced`, ok: r.finished && notSyncedCount === 0 && (r.final.synced ?? 0) === r.documents },
    { target: 'every webhook accepted', measured: `${int(r.sent.accepted)} of ${int(r.documents)}`, ok: r.sent.accepted === r.documents },
    ...(r.contractViolations === undefined ? [] : [{ target: 'no contract violations', measured: String(r.contractViolations), ok: r.contractViolations === 0 }]),
  ];
  const row = (c: { target: string; measured: string; ok: boolean }) => [c.target, c.measured, c.ok ? 'OK' : 'MISSED'];
  out(formatTable(['target', 'measured', 'verdict'], checks.map(row)));
  return printVerdict(out, checks, integrity);
}
