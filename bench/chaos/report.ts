import { summarize } from '../lib/stats.ts';
import { formatTable, int, ms } from '../lib/table.ts';
import type { RoleProcess, ExitInfo } from '../lib/role-process.ts';
import type { FaultSwitch } from './faults.ts';
import type { MonkeyStats } from './monkey.ts';
import type { PlatformStats } from './platform.ts';
import type { RollingResult } from './rolling.ts';
import type { ChaosFindings } from './verify.ts';

export interface Check {
  readonly target: string;
  readonly measured: string;
  readonly ok: boolean | undefined;
}

export interface ChaosReport {
  readonly header: readonly string[];
  readonly chaosSeconds: number;
  readonly monkey: MonkeyStats;
  readonly faults: { readonly xero: FaultSwitch; readonly quickbooks: FaultSwitch };
  readonly sandboxCalls: { xero: number; quickbooks: number };
  readonly platform: PlatformStats;
  readonly accepted: number;
  readonly lost: readonly { id: string; why: string }[];
  readonly findings: ChaosFindings;
  readonly throttled: { xero: number; quickbooks: number; xeroByProblem: Record<string, number> };
  readonly settleSeconds: number | undefined;
  readonly settleLimit: number;
  /** When the faults stopped: documents not yet final in Ledgerport, follow-ups the platform had still to send. */
  readonly atFaultStop: { pending: number; unsent: number };
  readonly rolling: RollingResult | undefined;
  readonly finalStops: readonly { name: string; exit: ExitInfo }[];
  readonly processes: readonly RoleProcess[];
  readonly unexpectedExits: readonly { name: string; exit: ExitInfo }[];
  readonly contractViolations: number;
  readonly feedFailures: number;
  readonly replay: string;
  readonly logDir: string;
}

const exitText = (e: ExitInfo) => e.signal ?? `exit ${e.code}`;
const list = (items: readonly string[], max = 8) => items.slice(0, max).map((s) => `    ${s}`).concat(items.length > max ? [`    … and ${items.length - max} more`] : []);

export function printChaosReport(r: ChaosReport): { ok: boolean } {
  const out: string[] = ['', ...r.header, ''];
  const f = r.faults;
  const injected = (s: FaultSwitch) => `${int(s.counts.failed)} × 5xx (${[...s.counts.byStatus].map(([k, v]) => `${k}: ${v}`).join(', ')}), ${int(s.counts.dropped)} responses dropped after the write, ${int(s.counts.forced429)} × forced 429`;
  out.push(`Chaos phase: ${r.chaosSeconds.toFixed(0)} s of faults`);
  out.push(`  processes: ${r.monkey.workerKills} workers and ${r.monkey.webKills} web processes killed with SIGKILL and started again; ${r.monkey.pgTerminations} PostgreSQL backends terminated in ${r.monkey.pgTerminateRounds} rounds`);
  out.push(`  Xero sandbox, ${int(r.sandboxCalls.xero)} API calls: ${injected(f.xero)}`);
  out.push(`  QuickBooks sandbox, ${int(r.sandboxCalls.quickbooks)} API calls: ${injected(f.quickbooks)}`);
  const failures = [...r.platform.failures].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${v}× ${k}`).join(', ');
  out.push(`  platform: ${int(r.platform.sent)} webhooks, ${int(r.platform.attempts)} attempts (${int(r.platform.redeliveries)} redeliveries, at most ${r.platform.maxAttempts} for one); not 2xx: ${failures || 'none'}`);
  if (r.unexpectedExits.length) out.push(`  exited on their own (and started again, as a supervisor would): ${r.unexpectedExits.map((e) => `${e.name} ${exitText(e.exit)}`).join(', ')}`);
  if (r.monkey.errors.length) out.push(`  monkey errors: ${r.monkey.errors.join('; ')}`);
  out.push('');

  const fd = r.findings;
  const sources = fd.sourceDocuments.invoices + fd.sourceDocuments.bills + fd.sourceDocuments.payments;
  const real429 = r.throttled.xero - f.xero.counts.forced429 + (r.throttled.quickbooks - f.quickbooks.counts.forced429);
  const checks: Check[] = [
    { target: 'accepted webhooks lost (2xx, document absent) = 0', measured: `${r.lost.length} of ${int(r.accepted)} acknowledged`, ok: r.lost.length === 0 },
    {
      target: 'provider documents per source document = 1 (voided too)',
      measured: `${int(fd.exactlyOnce)} of ${int(sources)} exactly 1 (${fd.sourceDocuments.invoices} invoices, ${fd.sourceDocuments.bills} bills, ${fd.sourceDocuments.payments} payments${fd.sourceDocuments.payments ? ' / allocations' : ''}; ${fd.voided} voided); ${fd.missing.length} missing, ${fd.duplicated.length} duplicated`,
      ok: fd.missing.length === 0 && fd.duplicated.length === 0,
    },
    { target: 'documents not in their final state = 0', measured: `${fd.notFinal.length} (Ledgerport and the provider checked)`, ok: fd.notFinal.length === 0 },
    {
      target: "429s not forced by the fault injector = 0",
      measured: `${real429} (Xero ${r.throttled.xero} × 429 − ${f.xero.counts.forced429} forced; QuickBooks ${r.throttled.quickbooks} − ${f.quickbooks.counts.forced429} forced)`,
      ok: real429 === 0,
    },
    {
      target: 'time to settle after the last fault',
      measured: `${r.settleSeconds === undefined ? `did not settle within ${r.settleLimit} s` : `${r.settleSeconds.toFixed(1)} s`} (when the faults stopped: ${r.atFaultStop.pending} documents not final, ${r.atFaultStop.unsent} follow-ups unsent)`,
      ok: r.settleSeconds !== undefined,
    },
  ];
  const stops = [...(r.rolling?.restarts ?? []).map((s) => ({ name: `rolling ${s.name}`, exit: s.exit })), ...r.finalStops.map((s) => ({ name: `final ${s.name}`, exit: s.exit }))];
  const badStops = stops.filter((s) => s.exit.code !== 0);
  if (r.rolling) {
    const ro = r.rolling;
    checks.push(
      { target: 'rolling restarts: accepted webhooks lost = 0', measured: `${ro.lost.length} of ${int(ro.acknowledged)} acknowledged`, ok: ro.lost.length === 0 },
      { target: 'rolling restarts: documents left unrouted = 0', measured: `${ro.unrouted} still "received"`, ok: ro.unrouted === 0 },
      {
        target: 'rolling restarts: achieved rate',
        measured: `${int(ro.achievedRate)}/s acknowledged (${int(ro.offeredRate)}/s offered, ${int(ro.acknowledged)} in ${ro.seconds.toFixed(1)} s, ${int(ro.platform.stats.redeliveries)} redeliveries)`,
        ok: undefined,
      },
    );
  }
  checks.push({ target: 'SIGTERM stops exit 0 (rolling and final)', measured: badStops.length ? badStops.map((s) => `${s.name}: ${exitText(s.exit)}`).join(', ') : `${stops.length} of ${stops.length}`, ok: badStops.length === 0 });

  out.push('Targets');
  out.push(formatTable(['target', 'measured', 'result'], checks.map((c) => [c.target, c.measured, c.ok === undefined ? '-' : c.ok ? 'PASS' : 'FAIL'])));
  if (r.rolling) {
    const lat = summarize(r.rolling.platform.stats.ackLatencyMs);
    out.push(`  rolling restarts: ${r.rolling.restarts.map((s) => `${s.name} ${exitText(s.exit)}, back in ${(s.downMs / 1000).toFixed(1)} s`).join('; ')}`);
    out.push(`  rolling restarts: answer time of the 2xx attempts p50 ${ms(lat.p50)} ms, p99 ${ms(lat.p99)} ms, max ${ms(lat.max)} ms; ${r.rolling.platform.stats.maxInFlight} requests in flight at most`);
    const c = r.rolling.cpu;
    out.push(`  rolling restarts: cores used while sending: web ${c.web.toFixed(2)}, workers ${c.workers.toFixed(2)}, PostgreSQL ${c.postgres.toFixed(2)}, bench (platform) ${c.bench.toFixed(2)}, rest of the machine ${c.other.toFixed(2)}`);
  }
  out.push(`  Xero 429s by problem: ${Object.entries(r.throttled.xeroByProblem).map(([k, v]) => `${k} ${v}`).join(', ')}; Xero contract violations: ${r.contractViolations}; document.failed events on the feed: ${r.feedFailures}`);
  out.push('');
  if (r.lost.length) out.push('Lost:', ...list(r.lost.map((l) => `${l.id}: ${l.why}`)));
  if (r.rolling?.lost.length) out.push('Lost in the rolling restarts:', ...list(r.rolling.lost.map((l) => `${l.id}: ${l.why}`)));
  if (fd.missing.length) out.push('Not at the provider:', ...list(fd.missing));
  if (fd.duplicated.length) out.push('Held more than once:', ...list(fd.duplicated));
  if (fd.notFinal.length) out.push('Not in their final state:', ...list(fd.notFinal.map((n) => `${n.key}: ${n.why}`)));

  const problems = new Map<string, number>();
  for (const p of r.processes) for (const [m, n] of p.problems.byMessage) problems.set(`${p.role}: ${m}`, (problems.get(`${p.role}: ${m}`) ?? 0) + n);
  if (problems.size) {
    out.push(`Gateway processes logged (warn and above, ${r.processes.length} processes):`);
    out.push(...list([...problems].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${n}× ${m.slice(0, 160)}`), 12));
  }
  const ok = checks.every((c) => c.ok !== false);
  out.push('', `${ok ? 'OK' : 'FAILED'}: ${ok ? 'every target met' : `${checks.filter((c) => c.ok === false).length} target(s) missed`}; replay with: ${r.replay}`);
  out.push(`  logs of every process: ${r.logDir}${ok ? ' (removed unless --keep-logs)' : ''}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return { ok };
}
