import type { LoadResult } from './http-load.ts';
import type { BenchReport } from './report.ts';
import { int, mb, ms, ratio } from './table.ts';

export const TARGET_RATIO = 0.75;
export const TARGET_P99_MS = 50;
export const TARGET_RSS_MB = 200;
/** The open-loop run only counts when nearly every scheduled request was accepted. */
const MIN_OPEN_ACHIEVED = 0.97;

export interface Check {
  readonly target: string;
  readonly measured: string;
  readonly ratio: string;
  readonly ok: boolean;
}

export const rejectedCount = (r: LoadResult) => [...r.rejected.values()].reduce((a, b) => a + b, 0);

/** The performance targets, and the integrity checks that must hold whatever the speed. */
export function verdictChecks(report: BenchReport): { checks: Check[]; integrity: Check[] } {
  const open = report.open.result;
  const best = report.closed.reduce((a, b) => (b.result.accepted / b.result.seconds > a.result.accepted / a.result.seconds ? b : a));
  const bestRate = best.result.accepted / best.result.seconds;
  const rawRate = report.raw.perSecond;
  const openAchieved = open.accepted / open.seconds;
  const peakKb = report.peakRssKb ?? report.maxSampledRssKb;
  const totalRejected = [...report.closed, report.open].reduce((n, p) => n + rejectedCount(p.result), 0);

  const checks = [
    {
      target: `accepted/s at best concurrency ≥ ${TARGET_RATIO} × raw INSERT/s`,
      measured: `${int(bestRate)}/s (c=${best.label}) vs ${int(rawRate)}/s raw`,
      ratio: ratio(bestRate / rawRate),
      ok: bestRate >= TARGET_RATIO * rawRate,
    },
    {
      target: `p99 ≤ ${TARGET_P99_MS} ms at ${int(report.openRate)} req/s (open loop, all accepted)`,
      measured: `p99 ${ms(open.latency.p99)} ms at ${int(openAchieved)} accepted/s`,
      ratio: ratio(open.latency.p99 / TARGET_P99_MS),
      ok: open.latency.p99 <= TARGET_P99_MS && openAchieved >= MIN_OPEN_ACHIEVED * report.openRate && rejectedCount(open) === 0,
    },
    {
      target: `gateway peak RSS ≤ ${TARGET_RSS_MB} MB`,
      measured: `VmHWM ${mb(peakKb).toFixed(0)} MB (sampled max VmRSS ${mb(report.maxSampledRssKb).toFixed(0)}, idle ${report.idleRssKb === undefined ? '?' : mb(report.idleRssKb).toFixed(0)})`,
      ratio: ratio(mb(peakKb) / TARGET_RSS_MB),
      ok: mb(peakKb) <= TARGET_RSS_MB,
    },
  ];
  const integrity = [
    {
      target: 'every accepted delivery is stored',
      measured: `${int(report.db.inboundEvents)} inbound_events rows, ${int(report.totalAccepted)} 202s`,
      ratio: '',
      ok: report.db.inboundEvents === report.totalAccepted,
    },
    { target: 'no non-202 answers', measured: `${totalRejected} non-202`, ratio: '', ok: totalRejected === 0 },
    { target: 'gateway stops cleanly on SIGTERM', measured: `exit code ${report.gatewayExit}`, ratio: '', ok: report.gatewayExit === 0 },
  ];
  return { checks, integrity };
}
