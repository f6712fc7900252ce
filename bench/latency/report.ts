import { formatTable, int, ms } from '../lib/table.ts';
import { loadLabel, ratePerOrg, ratePerOrgText } from './load.ts';
import type { PhaseResult } from './phase.ts';
import { printVerdict } from '../lib/print-verdict.ts';

export const TARGET_P50_MS = 50;
export const TARGET_P99_MS = 250;
/** The governor's window for Xero's 60 calls a minute (sql/0003: 61 s, a second of margin). */
const CALLS_PER_WINDOW = 60;
const WINDOW_S = 61;

/**
 * The least latency any pusher could reach at `rate` (one organisation's share of the load) once its minute budget is the
 * limit: calls at most 60 per 61 s, evenly spaced (T apart), and each webhook waits for the next
 * call; the wait is then uniform over [0, T), so p50 ≥ T/2 and p99 ≥ 0.99 T (before the call itself).
 */
export function budgetFloor(rate: number): { spacingMs: number; p50: number; p99: number } | undefined {
  const sustainable = CALLS_PER_WINDOW / WINDOW_S;
  if (rate <= sustainable) return undefined;
  const spacingMs = 1000 / sustainable;
  return { spacingMs, p50: spacingMs / 2, p99: spacingMs * 0.99 };
}

/** "1/s for 60 s, org_latency_1 (its own organisation)" or "10/s over 50 organisations (0.2/s each) for 60 s, org_latency_10x50_0 … _49". */
function phaseTitle(p: PhaseResult): string {
  const seconds = int(p.sent / p.load.rate);
  if (p.load.orgs === 1) return `${p.load.rate}/s for ${seconds} s, ${p.tenants[0]} (its own organisation)`;
  const last = p.tenants[p.tenants.length - 1] ?? '';
  return `${loadLabel(p.load)} (${ratePerOrgText(p.load)}/s each) for ${seconds} s, ${p.tenants[0]} … ${last.slice(last.lastIndexOf('_'))} (a tenant each)`;
}

export function printLatencyReport(header: readonly string[], phases: readonly PhaseResult[]): { integrityOk: boolean; targetsMet: boolean } {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  for (const line of header) out(line);
  for (const p of phases) {
    out();
    out(`  ${phaseTitle(p)}: ${int(p.accepted)} of ${int(p.sent)} accepted; load average ${p.loadBefore} before, ${p.loadAfter} after`);
    out(
      formatTable(
        ['from the webhook sent (ms)', 'p50', 'p99', 'max'],
        [
          ['→ create received at the sandbox', ms(p.endToEnd.p50), ms(p.endToEnd.p99), ms(p.endToEnd.max)],
          ...p.parts.map((part) => [`  ${part.label}`, ms(part.summary.p50), ms(part.summary.p99), ms(part.summary.max)]),
        ],
        '    ',
      ),
    );
    out(`    (the four stages are each measured on their own: their percentiles do not add up to the total's)`);
    const spread = p.load.orgs > 1;
    out(`    creates (PUT /Invoices)  ${int(p.creates)}, ${p.perCreate.mean.toFixed(1)} invoices each on average (max ${p.perCreate.max}); gap between ${spread ? "an organisation's " : ''}creates p50 ${ms(p.createGap.p50)} ms, max ${ms(p.createGap.max)} ms`);
    out(`    budget                   at most ${p.maxCallsPer61s} creates in any 61 s${spread ? ' to any one organisation (limit 60 each)' : ' (limit 60)'}; ${p.otherCalls} other calls; ${p.throttled} × 429`);
    const c = p.counters;
    if (c) {
      const waited = Object.entries(c.governorWaitSeconds).filter(([, s]) => s > 0).map(([r, s]) => `${r} ${s.toFixed(1)} s`).join(', ') || 'none';
      out(`    governor (worker)        slept ${waited} over ${int(c.governorWaits)} waits; ${int(c.governorRefusals)} refusals (push rescheduled)`);
      out(`    the call itself          createInvoices ${ms((c.createSeconds / Math.max(1, c.createCalls)) * 1000)} ms on average over ${int(c.createCalls)} calls (after the governor let it go)`);
      out(`    jobs (worker)            push_documents ×${int(c.pushJobs)} (${ms((c.pushJobSeconds / Math.max(1, c.pushJobs)) * 1000)} ms each), route_document ×${int(c.routeJobs)} (${ms((c.routeJobSeconds / Math.max(1, c.routeJobs)) * 1000)} ms each)`);
    }
    const each = ratePerOrg(p.load);
    const floor = budgetFloor(each);
    if (floor) {
      const rate = `${ratePerOrgText(p.load)}/s${spread ? ' each' : ''}`;
      out(`    floor at ${rate}          ${rate} is more than 60 calls a minute can carry one by one: at most one create every ${ms(floor.spacingMs)} ms, each carrying ≈ ${(each * floor.spacingMs / 1000).toFixed(1)} invoices,`);
      out(`                             so any pusher's p50 ≥ ${ms(floor.p50)} ms and p99 ≥ ${ms(floor.p99)} ms (waiting for the next call) once the minute budget binds`);
    }
  }
  out();
  const checks = phases.flatMap((p) => [
    { target: `${loadLabel(p.load)}: p50 ≤ ${TARGET_P50_MS} ms`, measured: `${ms(p.endToEnd.p50)} ms`, ok: p.endToEnd.p50 <= TARGET_P50_MS },
    { target: `${loadLabel(p.load)}: p99 ≤ ${TARGET_P99_MS} ms`, measured: `${ms(p.endToEnd.p99)} ms`, ok: p.endToEnd.p99 <= TARGET_P99_MS },
    { target: `${loadLabel(p.load)}: no 429 answers`, measured: int(p.throttled), ok: p.throttled === 0 },
  ]);
  const integrity = phases.flatMap((p) => [
    { target: `${loadLabel(p.load)}: every webhook accepted`, measured: `${int(p.accepted)} of ${int(p.sent)}`, ok: p.accepted === p.sent },
    { target: `${loadLabel(p.load)}: every invoice synced and seen at the sandbox`, measured: `${int(p.missing)} missing${p.synced ? '' : ' (NOT all synced)'}`, ok: p.synced && p.missing === 0 },
  ]);
  out(formatTable(['target', 'measured', 'verdict'], checks.map((c) => [c.target, c.measured, c.ok ? 'OK' : 'MISSED'])));
  return printVerdict(out, checks, integrity);
}
