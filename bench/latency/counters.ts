import { metricSum, scrapeMetrics } from '../lib/split-gateway.ts';

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

const REASONS = ['concurrent', 'minute', 'day', 'blocked'];

/** The worker's counters now (undefined when its /metrics could not be read). */
export async function readWorkerCounters(workerPid: number): Promise<Record<string, number> | undefined> {
  const text = await scrapeMetrics(workerPid);
  if (!text) return undefined;
  return {
    ...Object.fromEntries(REASONS.map((r) => [`wait:${r}`, metricSum(text, 'ledgerport_governor_wait_seconds_total', { provider: 'xero', reason: r })])),
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

export function counterDifference(before: Record<string, number> | undefined, after: Record<string, number> | undefined): WorkerCounters | undefined {
  if (!before || !after) return undefined;
  const d = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
  return {
    governorWaitSeconds: Object.fromEntries(REASONS.map((r) => [r, d(`wait:${r}`)])),
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
