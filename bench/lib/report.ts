import type { RateResult } from './baselines.ts';
import type { LoadResult } from './http-load.ts';
import type { DatabaseTally, PhaseBatches } from './inspect-db.ts';
import { cpuBudget } from './cpu-budget.ts';
import type { CpuSplit } from './proc.ts';
import { cores, formatTable, int, mb, ms, ratio } from './table.ts';
import { rejectedCount, verdictChecks } from './verdict.ts';

export interface LoadPhase {
  readonly phase: string;
  readonly label: string;
  readonly result: LoadResult;
  readonly cpu: CpuSplit;
  /** Gateway VmRSS right after the phase, in kB. */
  readonly rssKb: number | undefined;
}

export interface BenchReport {
  readonly header: readonly string[];
  readonly raw: RateResult;
  readonly addJob: RateResult;
  /** Bare Hono answering 202 without any work, under the same load. */
  readonly floor: { readonly label: string; readonly result: LoadResult; readonly cpu: CpuSplit };
  readonly closed: readonly LoadPhase[];
  readonly open: LoadPhase;
  readonly openRate: number;
  readonly peakRssKb: number | undefined;
  /** Right after start, before any load. */
  readonly idleRssKb: number | undefined;
  readonly maxSampledRssKb: number;
  readonly gatewayExit: number | null;
  readonly gatewayLog: readonly string[];
  readonly showGatewayLog: boolean;
  readonly totalAccepted: number;
  readonly db: DatabaseTally;
}

export interface Verdict {
  readonly targetsMet: boolean;
  readonly integrityOk: boolean;
}

const rejectedText = (r: LoadResult) => [...r.rejected].map(([k, v]) => `${v}× ${k}`).join(', ');

function cpuCells(cpu: CpuSplit): string[] {
  return [cores(cpu.bench), cores(cpu.gateway), cores(cpu.postgres), cores(cpu.other)];
}

function batchCells(batches: PhaseBatches | undefined): string[] {
  if (!batches) return ['-', '-'];
  return [(batches.perRequestMean).toFixed(1), String(batches.max)];
}

export function printReport(report: BenchReport): Verdict {
  const out: string[] = [];
  const batchesOf = (phase: string) => report.db.batches.find((b) => b.phase === phase);
  out.push('', ...report.header, '');

  out.push('Baselines on the same server (autocommit, one statement per transaction)');
  out.push(
    formatTable(
      ['statement', 'clients', 'commits/s', 'p50 ms', 'p99 ms', 'errors', 'cpu bench', 'gateway', 'postgres', 'other'],
      [
        ['INSERT into bench_raw (small jsonb)', String(report.raw.clients), int(report.raw.perSecond), ms(report.raw.latency.p50), ms(report.raw.latency.p99), String(report.raw.errors), ...cpuCells(report.raw.cpu)],
        ['select graphile_worker.add_job(...)', String(report.addJob.clients), int(report.addJob.perSecond), ms(report.addJob.latency.p50), ms(report.addJob.latency.p99), String(report.addJob.errors), ...cpuCells(report.addJob.cpu)],
      ],
    ),
  );
  out.push('');

  out.push('POST /webhooks/ops, closed loop (each worker waits for its answer); latency of 202s only');
  out.push(
    formatTable(
      ['concurrency', 'accepted/s', 'non-202', 'p50 ms', 'p99 ms', 'max ms', 'vs raw', 'batch/req', 'max batch', 'cpu bench', 'gateway', 'postgres', 'other', 'rss MB'],
      report.closed.map((p) => [
        p.label,
        int(p.result.accepted / p.result.seconds),
        String(rejectedCount(p.result)),
        ms(p.result.latency.p50),
        ms(p.result.latency.p99),
        ms(p.result.latency.max),
        ratio(p.result.accepted / p.result.seconds / report.raw.perSecond),
        ...batchCells(batchesOf(p.phase)),
        ...cpuCells(p.cpu),
        p.rssKb === undefined ? '-' : mb(p.rssKb).toFixed(0),
      ]),
    ),
  );
  out.push('  (cpu columns: cores used on average; "batch/req": mean group-commit size a request rode in, from shared xmin)');
  out.push('');

  const budgetLines = cpuBudget(
    { label: `raw INSERT, ${report.raw.clients} clients`, rate: report.raw.perSecond, cpu: report.raw.cpu },
    report.closed.map((p) => ({ label: `ops webhook, c=${p.label}`, rate: p.result.accepted / p.result.seconds, cpu: p.cpu })),
    { label: `bare Hono 202, c=${report.floor.label}`, rate: report.floor.result.accepted / report.floor.result.seconds, cpu: report.floor.cpu },
  );
  out.push(...budgetLines, '');

  const open = report.open.result;
  out.push(`POST /webhooks/ops, open loop at ${int(report.openRate)} req/s (sent on a 1 ms timer regardless of answers)`);
  out.push(
    formatTable(
      ['target/s', 'sent/s', 'accepted/s', 'non-202', 'p50 ms', 'p99 ms', 'max ms', 'svc p50', 'svc p99', 'max in flight', 'batch/req', 'max batch', 'cpu bench', 'gateway', 'postgres', 'other', 'rss MB'],
      [
        [
          int(report.openRate),
          int(open.sent / open.seconds),
          int(open.accepted / open.seconds),
          String(rejectedCount(open)),
          ms(open.latency.p50),
          ms(open.latency.p99),
          ms(open.latency.max),
          ms(open.serviceLatency?.p50 ?? Number.NaN),
          ms(open.serviceLatency?.p99 ?? Number.NaN),
          String(open.maxInFlight),
          ...batchCells(batchesOf(report.open.phase)),
          ...cpuCells(report.open.cpu),
          report.open.rssKb === undefined ? '-' : mb(report.open.rssKb).toFixed(0),
        ],
      ],
    ),
  );
  out.push('  (latency from when each request was due; "svc" from when it was written to the socket)');
  out.push('');

  for (const p of [...report.closed, report.open]) {
    if (p.result.rejected.size > 0) out.push(`non-202 at ${p.label}: ${rejectedText(p.result)}; first: ${p.result.firstRejection}`);
  }

  const { checks, integrity } = verdictChecks(report);
  out.push('Verdict');
  out.push(
    formatTable(
      ['target', 'measured', 'ratio', 'result'],
      [...checks, ...integrity].map((c) => [c.target, c.measured, c.ratio, c.ok ? 'PASS' : 'FAIL']),
    ),
  );
  out.push(
    `  context: ${int(report.db.documents)} documents, ${report.db.queuedRouteJobs === undefined ? '?' : int(report.db.queuedRouteJobs)} route_document jobs left queued (web role only, no worker ran)`,
  );
  if (report.gatewayLog.length > 0) {
    const shown = report.showGatewayLog ? report.gatewayLog : report.gatewayLog.slice(0, 5);
    out.push('', `gateway logged ${report.gatewayLog.length} line(s) at warn or above${shown.length < report.gatewayLog.length ? '; first ones:' : ':'}`);
    out.push(...shown.map((l) => `  ${l.slice(0, 300)}`));
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return { targetsMet: checks.every((c) => c.ok), integrityOk: integrity.every((c) => c.ok) };
}
