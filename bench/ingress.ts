import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { analyze, checkpoint, createBenchDatabase, type BenchDatabase } from './lib/bench-db.ts';
import { measureAddJob, measureRawInserts } from './lib/baselines.ts';
import { measureBareFloor } from './lib/bare-floor.ts';
import { createDeliveryFactory, stockDeliveries } from './lib/deliveries.ts';
import { sourceFingerprint, startGatewayProcess, type GatewayProcess } from './lib/gateway-process.ts';
import { closedLoop, openLoop } from './lib/http-load.ts';
import { inspectDatabase } from './lib/inspect-db.ts';
import { readOptions } from './lib/options.ts';
import { cpuSnapshot, cpuSplit, readVmKb, type CpuSplit } from './lib/proc.ts';
import { printReport, type LoadPhase } from './lib/report.ts';
import { sleep } from './lib/stats.ts';
import { finishBench, guardRun } from './lib/finish.ts';

/**
 * Ingress benchmark: raw durable INSERT and add_job rates on a fresh database, then the gateway
 * (web role, as a child process) under signed ops webhooks, closed loop and open loop.
 * Progress goes to stderr, the report to stdout.
 */
const opts = readOptions(process.argv.slice(2));
const startedAt = performance.now();
const progress = (message: string) =>
  process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);

let database: BenchDatabase | undefined;
let gateway: GatewayProcess | undefined;

async function cleanup() {
  const g = gateway;
  gateway = undefined;
  await g?.stop(10_000).catch(() => undefined);
  if (database && !opts.keepDatabase) {
    await database.drop().catch((error: unknown) => progress(`could not drop ${database?.name}: ${(error as Error).message}`));
  }
}

const watchdog = guardRun({ maxSeconds: opts.maxSeconds, cleanup, progress });

async function measured<T>(pid: number | undefined, run: () => Promise<T>): Promise<{ result: T; cpu: CpuSplit }> {
  const before = cpuSnapshot(pid);
  const result = await run();
  return { result, cpu: cpuSplit(before, cpuSnapshot(pid)) };
}

async function main() {
  // Other work on the machine skews everything below; measure it first and say so.
  const idle = await measured(undefined, () => sleep(1_000));
  database = await createBenchDatabase(opts.databaseUrl);
  progress(`created database ${database.name}`);
  const db = database;

  await checkpoint(db.url);
  progress(`raw INSERT: ${opts.rawClients} clients for ${opts.seconds} s`);
  const raw = await measureRawInserts(db.url, opts.rawClients, opts.seconds);
  await checkpoint(db.url);
  progress(`graphile_worker.add_job per transaction: ${opts.rawClients} clients for ${opts.seconds} s`);
  const addJob = await measureAddJob(db.url, opts.rawClients, opts.seconds);
  await checkpoint(db.url);

  // The HTTP floor: the same load against a handler that only reads the body and answers 202.
  const floorConcurrency = Math.max(...opts.levels);
  const floorDeliveries = createDeliveryFactory({ secret: `whsec_${randomBytes(32).toString('base64')}`, runId: 'floor', tenants: opts.tenants });
  const floorStock = stockDeliveries(floorDeliveries, 'floor', 40_000 * opts.seconds);
  progress(`HTTP floor (bare Hono answering 202): concurrency ${floorConcurrency} for ${opts.seconds} s`);
  const floor = await measureBareFloor({ nodeArgs: opts.gatewayNodeArgs, concurrency: floorConcurrency, seconds: opts.seconds, next: floorStock.next });

  const fingerprint = sourceFingerprint(opts.gatewayRoot);
  progress('starting gateway (node src/main.ts web)');
  gateway = await startGatewayProcess({ databaseUrl: db.url, poolSize: opts.poolSize, root: opts.gatewayRoot, nodeArgs: opts.gatewayNodeArgs, env: { ...opts.gatewayEnv } });
  const g = gateway;
  const target = new URL(g.url);
  const idleRssKb = readVmKb(g.pid, 'VmRSS');
  progress(`gateway pid ${g.pid} ready at ${g.url}`);
  const makeDelivery = createDeliveryFactory({ secret: g.opsSecret, runId: randomBytes(4).toString('hex'), tenants: opts.tenants });
  let totalAccepted = 0;
  // Deliveries to stock before a closed-loop phase: half again what the last phase managed.
  let expectedRate = 5_000;
  let madeLate = 0;

  if (opts.warmupSeconds > 0) {
    progress(`warm-up: concurrency 16 for ${opts.warmupSeconds} s`);
    const warm = await closedLoop({ target, concurrency: 16, seconds: opts.warmupSeconds, next: () => makeDelivery('warm') });
    totalAccepted += warm.accepted;
    expectedRate = warm.accepted / warm.seconds;
  }

  const closed: LoadPhase[] = [];
  for (const concurrency of opts.levels) {
    if (opts.analyze) await analyze(db.url);
    await sleep(300);
    const phase = `c${concurrency}`;
    const stock = stockDeliveries(makeDelivery, phase, Math.ceil(Math.max(2_000, expectedRate * 1.5) * opts.seconds));
    progress(`closed loop: concurrency ${concurrency} for ${opts.seconds} s`);
    const { result, cpu } = await measured(g.pid, () => closedLoop({ target, concurrency, seconds: opts.seconds, next: stock.next }));
    totalAccepted += result.accepted;
    madeLate += stock.madeLate;
    expectedRate = Math.max(expectedRate, result.accepted / result.seconds);
    closed.push({ phase, label: String(concurrency), result, cpu, rssKb: readVmKb(g.pid, 'VmRSS') });
  }

  if (opts.analyze) await analyze(db.url);
  await sleep(300);
  const openStock = stockDeliveries(makeDelivery, 'open', opts.rate * opts.seconds);
  progress(`open loop: ${opts.rate} req/s for ${opts.seconds} s`);
  const openRun = await measured(g.pid, () => openLoop({ target, rate: opts.rate, seconds: opts.seconds, next: openStock.next, maxSockets: 256 }));
  totalAccepted += openRun.result.accepted;
  madeLate += openStock.madeLate;
  const openRssKb = readVmKb(g.pid, 'VmRSS');

  const peakRssKb = g.peakRssKb();
  progress('stopping gateway (SIGTERM)');
  gateway = undefined;
  const gatewayExit = await g.stop();
  const tally = await inspectDatabase(db.url);

  const verdict = printReport({
    header: [
      'Ledgerport ingress benchmark',
      `  node ${process.version}, PostgreSQL ${db.serverVersion}, ${availableParallelism()} CPUs; load generator, gateway and PostgreSQL share this machine`,
      `  database ${db.name} on ${new URL(opts.databaseUrl).host} (dropped at the end${opts.keepDatabase ? ': no, --keep-database' : ''})`,
      `  gateway: node ${opts.gatewayNodeArgs.join(' ')}${opts.gatewayNodeArgs.length ? ' ' : ''}src/main.ts web${opts.gatewayRoot ? ` (from ${opts.gatewayRoot})` : ''}, NODE_ENV=production, LOG_LEVEL=warn, DATABASE_POOL_SIZE=${opts.poolSize}${Object.entries(opts.gatewayEnv).map(([k, v]) => `, ${k}=${v}`).join('')}; src+sql fingerprint ${fingerprint}`,
      '  web role only: route_document jobs are enqueued and left queued (no worker runs)',
      opts.analyze
        ? '  ANALYZE before each phase, as autovacuum does on a live database (--no-analyze to measure a database whose statistics lag)'
        : '  no ANALYZE between phases (--no-analyze): the planner keeps statistics from an almost empty database',
      `  before the run, other processes used ${(idle.cpu.busy - idle.cpu.bench).toFixed(2)} of ${availableParallelism()} cores over 1 s${idle.cpu.busy > 0.2 ? ' -- THE MACHINE WAS NOT IDLE; numbers are skewed (see the "other" columns)' : ''}`,
      `  deliveries: signed sales_order.shipped, ~${makeDelivery('probe').body.length} bytes, unique webhook-id and invoice id each, ${opts.tenants} tenants`,
      `  ${opts.seconds} s per run after a ${opts.warmupSeconds} s warm-up at concurrency 16; undici pool (one keep-alive connection per worker); deliveries signed before each run${madeLate ? ` -- ${madeLate} were signed during runs (stock ran out)` : ''}`,
    ],
    raw,
    addJob,
    floor: { label: String(floorConcurrency), ...floor },
    closed,
    open: { phase: 'open', label: `open ${opts.rate}/s`, ...openRun, rssKb: openRssKb },
    openRate: opts.rate,
    peakRssKb,
    idleRssKb,
    maxSampledRssKb: g.maxSampledRssKb(),
    gatewayExit,
    gatewayLog: g.logLines,
    showGatewayLog: opts.showGatewayLog,
    totalAccepted,
    db: tally,
  });
  return verdict;
}

await finishBench({ main, cleanup, watchdog, strict: opts.strict, progress, startedAt });
