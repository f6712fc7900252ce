import { availableParallelism } from 'node:os';
import pino from 'pino';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import type { BenchDatabase } from './lib/bench-db.ts';
import { finishBench, guardRun } from './lib/finish.ts';
import { sourceFingerprint } from './lib/gateway-process.ts';
import { loadAverage, type SplitGateway } from './lib/split-gateway.ts';
import { cores, formatTable, int, ratio } from './lib/table.ts';
import { readScaleOptions } from './scale/options.ts';
import { runTrial, type TrialResult } from './scale/trial.ts';
import { printVerdict } from './lib/print-verdict.ts';

/**
 * Scale benchmark: the same seeded drain (5,000 invoices over 50 Xero sandbox organisations,
 * each with its own per-organisation limits, so the limits are not what bounds it) with 1 and
 * then 2 worker processes (node src/main.ts worker), one web process ingesting. Each trial
 * ingests everything with no worker running, then starts the workers and releases every job to
 * them at once, and times the drain, with CPU per process from /proc, PostgreSQL's wait events
 * and the job queue's depth sampled throughout. Progress to stderr, the report to stdout.
 */
const opts = readScaleOptions(process.argv.slice(2));
const TARGET_SPEEDUP = 1.6;
const startedAt = performance.now();
const progress = (message: string) => process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);

let current: { database?: BenchDatabase; sandbox?: XeroSandbox; gateway?: SplitGateway } = {};
async function cleanup() {
  const { gateway, sandbox, database } = current;
  current = {};
  gateway?.killNow();
  await sandbox?.close().catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await database?.drop().catch(() => undefined);
}
const watchdog = guardRun({ maxSeconds: opts.maxSeconds, cleanup, progress });

function describeWaits(t: TrialResult): string {
  const total = [...t.waits.values()].reduce((a, b) => a + b, 0);
  return [...t.waits].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([w, n]) => `${w} ${((100 * n) / Math.max(1, total)).toFixed(0)}%`).join(', ');
}

async function main() {
  const quiet = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }));
  const loadAtStart = loadAverage();
  const results: TrialResult[] = [];
  const plan = Array.from({ length: opts.rounds }, () => opts.workers).flat();
  for (const workers of plan) {
    progress(`trial: ${workers} worker process(es), ${opts.documents} invoices over ${opts.tenants} organisations (load average ${loadAverage()})`);
    const r = await runTrial({ ...opts, workers, logger: quiet, progress, onResources: (res) => (current = res) });
    results.push(r);
    progress(`  drained in ${r.drainSeconds.toFixed(1)} s = ${int(r.documents / r.drainSeconds)}/s; CPU: workers ${r.cpu.workers.map(cores).join(' + ')}, PostgreSQL ${cores(r.cpu.postgresOurs)}, machine ${cores(r.cpu.machineBusy)} of ${availableParallelism()}`);
  }

  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`Ledgerport scale benchmark: the same drain with 1 and 2 worker processes`);
  out(`  node ${process.version}, ${availableParallelism()} CPUs shared with other users; load average ${loadAtStart} at the start, ${loadAverage()} at the end; gateway source ${sourceFingerprint(opts.gatewayRoot)}`);
  out(`  ${int(opts.documents)} signed sales_order.shipped webhooks over ${opts.tenants} Xero sandbox organisations (${int(opts.documents / opts.tenants)} each, ${opts.customers} customers each; 60 calls/min, 5 at once per organisation)`);
  out(`  one web process ingests everything first with no worker running; then the workers start (node src/main.ts worker, WORKER_CONCURRENCY=${opts.workerConcurrency}, PUSH_DEBOUNCE_MS=${opts.debounceMs}),`);
  out(`  every job is released to them at once, and the drain is timed from then to the last document synced; a fresh database and sandbox per trial`);
  out(`  CPU in cores over the drain (1.00 = one core busy throughout), from /proc: "bench" is this process (the Xero sandbox and the sampler), "other" the rest of the machine (other users)`);
  out();
  out(
    formatTable(
      ['trial', 'drain s', 'docs/s', 'workers CPU', 'web', 'PG (ours)', 'PG (all)', 'bench', 'other', 'machine', 'active PG backends', 'ready jobs (mean/max)', 'load before → after'],
      results.map((r, i) => [
        `${i + 1}: ${r.workers} worker${r.workers > 1 ? 's' : ''}`,
        `${r.drainSeconds.toFixed(1)}${r.finished ? '' : ' (NOT FINISHED)'}`,
        int(r.documents / r.drainSeconds),
        r.cpu.workers.map(cores).join(' + '),
        cores(r.cpu.web),
        cores(r.cpu.postgresOurs),
        cores(r.cpu.postgresAll),
        cores(r.cpu.bench),
        cores(r.cpu.other),
        `${cores(r.cpu.machineBusy)} of ${availableParallelism()}`,
        r.activeBackends.toFixed(1),
        `${r.queue.readyMean.toFixed(0)} / ${int(r.queue.readyMax)}`,
        `${r.loadBefore.split(' ')[0]} → ${r.loadAfter.split(' ')[0]}`,
      ]),
    ),
  );
  out();
  for (const [i, r] of results.entries()) {
    out(`  trial ${i + 1} (${r.workers} worker${r.workers > 1 ? 's' : ''}): ingest ${int(r.ingestAccepted)} in ${r.ingestSeconds.toFixed(1)} s; workers ready ${r.startSeconds.toFixed(1)} s after their start; ${int(r.creates)} creates, ${int(r.calls)} calls, ${r.throttled} × 429; PostgreSQL backends (active samples): ${describeWaits(r)}`);
  }
  const byWorkers = (w: number) => results.filter((r) => r.workers === w && r.finished).map((r) => r.documents / r.drainSeconds);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const one = byWorkers(1);
  const two = byWorkers(2);
  const speedup = one.length && two.length ? mean(two) / mean(one) : Number.NaN;
  const cpuPerDoc = (r: TrialResult) => ((r.cpu.workers.reduce((a, b) => a + b, 0) + r.cpu.postgresOurs + r.cpu.web) * r.drainSeconds * 1e6) / r.documents;
  out();
  out(`  CPU per document synced (workers + web + our PostgreSQL backends): ${results.map((r, i) => `trial ${i + 1} ${int(cpuPerDoc(r))} µs`).join(', ')}`);
  if (results.length) {
    const best = Math.min(...results.map(cpuPerDoc));
    out(`  at that cost ${availableParallelism()} cores can sync at most ≈ ${int((availableParallelism() * 1e6) / best)} documents/s, whatever the number of workers (the sandbox and other users take their share too)`);
  }
  out();
  const checks = [{ target: `2 workers ≥ ${TARGET_SPEEDUP}× the throughput of 1`, measured: `${one.length && two.length ? `${int(mean(two))}/s vs ${int(mean(one))}/s` : '-'}`, ratio: ratio(speedup), ok: speedup >= TARGET_SPEEDUP }];
  const integrity = results.flatMap((r, i) => [
    { target: `trial ${i + 1}: every document synced`, measured: Object.keys(r.notSynced).length ? JSON.stringify(r.notSynced) : 'all synced', ok: r.finished && Object.keys(r.notSynced).length === 0 },
    { target: `trial ${i + 1}: every webhook accepted`, measured: `${int(r.ingestAccepted)} of ${int(r.documents)}`, ok: r.ingestAccepted === r.documents },
    { target: `trial ${i + 1}: no duplicates, no 429s`, measured: `${r.duplicates} duplicates, ${r.throttled} × 429`, ok: r.duplicates === 0 && r.throttled === 0 },
  ]);
  out(formatTable(['target', 'measured', 'ratio', 'verdict'], checks.map((c) => [c.target, c.measured, c.ratio, c.ok ? 'OK' : 'MISSED'])));
  return printVerdict(out, checks, integrity);
}

await finishBench({ main, cleanup, watchdog, strict: opts.strict, progress, startedAt });
