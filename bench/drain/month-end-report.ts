import { callBreakdown, type CallRecord, type DemoProvider, type Holdings, type Throttling } from '../../src/demo/provider.ts';
import { formatTable, int, ratio } from '../lib/table.ts';
import { xeroLowerBound, type MonthEndMix } from './month-end.ts';
import type { StatusCounts } from './progress.ts';
import type { SendResult } from './send.ts';

export interface MonthEndReport {
  readonly provider: Pick<DemoProvider, 'name' | 'short' | 'orgNoun' | 'perMinute' | 'documentsPerRequest'>;
  readonly invoices: number;
  readonly mix: MonthEndMix;
  readonly sent: SendResult;
  readonly wallSeconds: number;
  readonly finished: boolean;
  readonly byKind: Record<string, StatusCounts>;
  /** Synced documents whose newest version is not at the provider yet. */
  readonly behind: number;
  readonly calls: readonly CallRecord[];
  readonly holdings: Pick<Holdings, 'count' | 'duplicates'>;
  readonly throttling: Throttling;
  readonly contractViolations: number | undefined;
}

/** The month-end mix: calls used against the fewest the mix can take, 429s, duplicates, documents not final. */
export function printMonthEndReport(r: MonthEndReport): { integrityOk: boolean; targetsMet: boolean } {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const expectedEvents = r.invoices + r.mix.events.length;
  const notFinal = Object.values(r.byKind).reduce((sum, counts) => sum + Object.entries(counts).filter(([s]) => s !== 'synced').reduce((a, [, n]) => a + n, 0), 0) + r.behind;
  const present = Object.values(r.byKind).reduce((sum, counts) => sum + Object.values(counts).reduce((a, n) => a + n, 0), 0);
  const bound = r.provider.name === 'xero' ? xeroLowerBound(r.invoices, r.mix) : undefined;
  const boundSeconds = bound ? (bound.calls / r.provider.perMinute) * 60 : undefined;

  out(`Ledgerport month-end drain: one ${r.provider.orgNoun}, ${r.provider.short} limits enforced by the sandbox`);
  out(`  mix                       ${int(r.invoices)} invoices, ${int(r.mix.edits)} edits, ${int(r.mix.payments)} payments over ${int(r.mix.allocations)} invoices (${int(r.mix.overpayments)} overpaid), ${int(r.mix.creditNotes)} credit notes`);
  out(`  webhooks                  ${int(r.sent.accepted)} of ${int(expectedEvents)} accepted in ${r.sent.seconds.toFixed(1)} s; answers ${[...r.sent.statuses].map(([s, n]) => `${s}×${n}`).join(', ')}`);
  out(`  wall time                 ${r.wallSeconds.toFixed(1)} s from the first webhook to the last document in its final state${r.finished ? '' : ' (NOT FINISHED: gave up)'}`);
  out(`  API calls                 ${int(r.calls.length)}: ${[...callBreakdown(r.calls)].map(([call, n]) => `${call} ×${n}`).join(', ')}`);
  if (bound && boundSeconds) {
    out(`  lower bound (writes)      ${int(bound.calls)} calls = ${bound.text}; ${boundSeconds.toFixed(0)} s at ${r.provider.perMinute}/min`);
    out(`  calls / lower bound       ${ratio(r.calls.length / bound.calls)}; wall / bound ${ratio(r.wallSeconds / boundSeconds)}`);
  }
  for (const [kind, counts] of Object.entries(r.byKind)) out(`  ${kind.padEnd(25)} ${Object.entries(counts).map(([s, n]) => `${s} ${int(n)}`).join(', ')}`);
  out(`  429 answers               ${int(r.throttling.throttled)} (${r.throttling.detail})`);
  out(`  duplicates at the sandbox ${r.holdings.duplicates.length} (${int(r.holdings.count)} documents held)`);
  out(`  not in final state        ${int(notFinal)} (${int(r.behind)} synced but behind their newest version)`);
  out(`  contract violations       ${r.contractViolations ?? 'not checked by this sandbox'}`);
  out();
  const checks = [
    { target: 'no 429 answers', measured: int(r.throttling.throttled), ok: r.throttling.throttled === 0 },
    { target: 'no duplicates at the provider', measured: String(r.holdings.duplicates.length), ok: r.holdings.duplicates.length === 0 },
    { target: 'every document in its final state', measured: `${int(notFinal)} not; ${int(present)} of ${int(r.mix.documents)} present`, ok: r.finished && notFinal === 0 && present === r.mix.documents },
    ...(r.contractViolations === undefined ? [] : [{ target: 'no contract violations', measured: String(r.contractViolations), ok: r.contractViolations === 0 }]),
  ];
  out(formatTable(['target', 'measured', 'verdict'], checks.map((c) => [c.target, c.measured, c.ok ? 'OK' : 'MISSED'])));
  const ok = checks.every((c) => c.ok);
  out();
  out(`verdict: ${ok ? 'all targets met' : `missed: ${checks.filter((c) => !c.ok).map((c) => c.target).join('; ')}`}`);
  return { integrityOk: ok, targetsMet: ok };
}
