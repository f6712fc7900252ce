import { availableParallelism } from 'node:os';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { createGatewayClient } from '../src/demo/client.ts';
import { gatewayEnvironment } from '../src/demo/environment.ts';
import { freePort } from '../src/demo/free-port.ts';
import type { DemoProvider } from '../src/demo/provider.ts';
import { generateSecrets } from '../src/demo/secrets.ts';
import { waitForSessionsToLeave } from '../src/demo/sessions.ts';
import { startDemoProvider } from '../src/demo/start-provider.ts';
import { startGateway, type Gateway } from '../src/gateway.ts';
import { createLogger } from '../src/logger.ts';
import { createBenchDatabase, type BenchDatabase } from './lib/bench-db.ts';
import { sleep } from './lib/stats.ts';
import { shippedInvoice } from './drain/invoices.ts';
import { readDrainOptions } from './drain/options.ts';
import { dumpCalls } from './drain/dump.ts';
import { createProbe, type Probe, type StatusCounts } from './drain/progress.ts';
import { printDrainReport } from './drain/report.ts';
import { sendAll } from './drain/send.ts';
import { monthEndMix } from './drain/month-end.ts';
import { printMonthEndReport } from './drain/month-end-report.ts';
import { finishBench, guardRun } from './lib/finish.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { spawnRole, waitForWorker, type RoleProcess } from './lib/role-process.ts';
import { allPostgresCpuSeconds, processCpuSeconds } from './lib/split-gateway.ts';

/**
 * Drain benchmark: N shipped invoices for ONE organisation pushed through the provider's sandbox
 * with its real limits, unscaled: Xero 60 calls/min, 5 at once, 5,000/day (bound N / 50 per call
 * at 60 a minute); QuickBooks Online 500 requests/min, 10 at once (bound N / 30 per batch at 500
 * a minute). Progress goes to stderr, the report to stdout. Loopback only.
 */
const opts = readDrainOptions(process.argv.slice(2));
const TENANT = 'org_drain';
const STALL_MS = 180_000;
const startedAt = performance.now();
const progress = (message: string) =>
  process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);

let database: BenchDatabase | undefined;
let sandbox: DemoProvider | undefined;
let gateway: Gateway | undefined;
let probe: Probe | undefined;
/** --ingest-first: the worker process started after the ingest. */
let workerProcess: RoleProcess | undefined;

async function cleanup() {
  const [g, s, p, d, w] = [gateway, sandbox, probe, database, workerProcess];
  gateway = sandbox = probe = database = workerProcess = undefined;
  await w?.stop(25_000).catch(() => undefined);
  await g?.stop().catch((error: unknown) => progress(`gateway stop failed: ${(error as Error).message}`));
  await s?.close().catch(() => undefined);
  await p?.close().catch(() => undefined);
  if (d && !opts.keepDatabase) await waitForSessionsToLeave(opts.databaseUrl, d.name).then(() => d.drop()).catch((error: unknown) => progress(`could not drop ${d.name}: ${(error as Error).message}`));
}

const watchdog = guardRun({ maxSeconds: opts.maxSeconds, cleanup, progress });

const countsText = (c: StatusCounts) => Object.entries(c).map(([s, n]) => `${s} ${n}`).join(', ') || 'none yet';

async function main() {
  const quiet = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }));
  database = await createBenchDatabase(opts.databaseUrl);
  progress(`created database ${database.name}`);
  sandbox = await startDemoProvider(opts.provider, { logger: quiet });
  const sb = sandbox;
  progress(`${sb.title} sandbox at ${sb.sandboxUrl}: ${sb.limitsText}; real time`);

  const secrets = generateSecrets();
  const environment = gatewayEnvironment({
    port: await freePort(),
    provider: sb,
    secrets,
    databaseUrl: database.url,
    extra: { WORKER_CONCURRENCY: String(opts.workerConcurrency), PUSH_DEBOUNCE_MS: String(opts.debounceMs) },
  });
  const config = loadConfig(environment);
  // --ingest-first: the web role only; the worker is started as its own process after the ingest.
  gateway = await startGateway(config, createLogger({ level: config.logLevel, destination: pino.destination({ fd: 2, sync: true }) }), opts.ingestFirst ? 'web' : 'all');
  progress(`gateway (${opts.ingestFirst ? 'web role only until every webhook is in' : 'all roles'}, in-process) at ${gateway.url}`);
  const client = createGatewayClient({ baseUrl: gateway.url!, opsSecret: secrets.OPS_WEBHOOK_SECRETS, jwtSecret: secrets.AUTH_JWT_SECRET });
  const org = await sb.connect(client, TENANT, 'Drain Wholesale Ltd');
  const defaults = await client.api(TENANT, 'PUT', '/defaults', sb.defaults);
  if (defaults.status !== 200) throw new Error(`PUT /defaults answered ${defaults.status}: ${JSON.stringify(defaults.body)}`);
  progress(`connected ${TENANT} to "${org.name}" (${org.detail}) through OAuth; posting defaults saved: ${sb.defaultsText}`);
  probe = createProbe(database.url, TENANT);
  const p = probe;

  const firstWebhookAt = sb.now();
  const t0 = performance.now();
  progress(`sending ${opts.documents} signed webhooks, ${opts.concurrency} at a time`);
  const mix = opts.mix === 'month-end' ? monthEndMix(TENANT, opts.documents, opts.customers) : undefined;
  const expected = mix?.documents ?? opts.documents;
  const sending = sendAll(client, opts.documents, opts.concurrency, (n) => shippedInvoice(TENANT, n, opts.customers)).then(async (invoices) => {
    if (!mix) return invoices;
    progress(`invoices sent; now ${mix.events.length} edits, payments and credit notes (${mix.edits} edits, ${mix.payments} payments over ${mix.allocations} invoices, ${mix.overpayments} overpaid, ${mix.creditNotes} credit notes)`);
    const rest = await sendAll(client, mix.events.length, opts.concurrency, (n) => mix.events[n]!.event, (n) => mix.events[n]!.id);
    const statuses = new Map(invoices.statuses);
    for (const [answer, n] of rest.statuses) statuses.set(answer, (statuses.get(answer) ?? 0) + n);
    return { accepted: invoices.accepted + rest.accepted, statuses, seconds: invoices.seconds + rest.seconds };
  });
  let sent: Awaited<typeof sending> | undefined;
  void sending.then((result) => {
    sent = result;
    progress(`sent: ${result.accepted} accepted in ${result.seconds.toFixed(1)} s`);
  });

  let drainWindow: { startedAt: number; startupSeconds: number; cpu: { worker: number; bench: NodeJS.CpuUsage; postgres: number } } | undefined;
  if (opts.ingestFirst) {
    sent = await sending;
    const db = database;
    const logDir = mkdtempSync(path.join(tmpdir(), 'ledgerport-drain-'));
    const admin = new pg.Client({ connectionString: db.url, application_name: 'ledgerport-bench-drain' });
    await admin.connect();
    const spawnedAt = performance.now();
    const bench0 = process.cpuUsage();
    const postgres0 = allPostgresCpuSeconds();
    workerProcess = spawnRole({ role: 'worker', name: 'worker', env: { ...environment, METRICS_PORT: '0' }, logFile: path.join(logDir, 'worker.log'), nodeArgs: ['--max-semi-space-size=4'] });
    try {
      await waitForWorker(workerProcess, admin, db.name, Number(new URL(db.url).port || 5432));
    } finally {
      await admin.end();
    }
    drainWindow = { startedAt: spawnedAt, startupSeconds: (performance.now() - spawnedAt) / 1000, cpu: { worker: 0, bench: bench0, postgres: postgres0 } };
    progress(`all ${sent.accepted} webhooks in after ${sent.seconds.toFixed(1)} s with no worker running; worker process ${workerProcess.pid} started (listening after ${drainWindow.startupSeconds.toFixed(1)} s; log ${logDir}); the drain window starts at its start`);
  }

  let final: StatusCounts = {};
  let lastReport = 0;
  let finished = false;
  // Leave time for the report before the watchdog fires; give up early when nothing moves.
  const deadline = startedAt + (opts.maxSeconds - 30) * 1000;
  let lastChange = performance.now();
  let lastSeen = '';
  for (;;) {
    final = await p.statuses();
    const synced = final.synced ?? 0;
    if (sent && synced >= expected && (!mix || (await p.behind()) === 0)) {
      finished = true;
      break;
    }
    if (sent && final.failed) {
      progress(`${final.failed} document(s) failed; stopping the wait`);
      break;
    }
    const seen = JSON.stringify(final);
    if (seen !== lastSeen) [lastSeen, lastChange] = [seen, performance.now()];
    if (performance.now() - lastChange > STALL_MS || performance.now() > deadline) {
      progress(`giving up: ${performance.now() > deadline ? 'close to --max-seconds' : `no document changed status for ${STALL_MS / 1000} s`}`);
      break;
    }
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      const creates = sb.calls(org.id).filter((c) => c.create);
      const throttling = sb.throttling(org.id);
      progress(`${countsText(final)} | sandbox: ${throttling.calls} calls, ${creates.length} creates (last ${creates.at(-1)?.documents ?? 0} documents), ${throttling.throttled} × 429`);
    }
    await sleep(250);
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const drainSeconds = drainWindow ? (performance.now() - drainWindow.startedAt) / 1000 : undefined;
  let windowCpu: string | undefined;
  if (drainWindow && drainSeconds && workerProcess) {
    const bench = process.cpuUsage(drainWindow.cpu.bench);
    const cores = (seconds: number) => (seconds / drainSeconds).toFixed(2);
    windowCpu = `worker process ${cores(processCpuSeconds(workerProcess.pid) ?? 0)} cores, this process (web role, idle, and the sandbox) ${cores((bench.user + bench.system) / 1e6)}, PostgreSQL (every backend on the machine) ${cores(allPostgresCpuSeconds() - drainWindow.cpu.postgres)}`;
  }
  const sentResult = sent ?? (await sending);
  progress(`${finished ? 'all synced' : 'stopped waiting'} after ${wallSeconds.toFixed(1)} s: ${countsText(final)}`);
  const batches = await p.batches().catch((error: unknown) => (error as Error).message);
  const calls = sb.calls(org.id);
  if (opts.dumpCalls) {
    dumpCalls(opts.dumpCalls, calls, firstWebhookAt);
    progress(`wrote ${calls.length} calls to ${opts.dumpCalls}`);
  }
  const violations = sb.contractViolations();
  if (mix) {
    return printMonthEndReport({
      provider: sb,
      invoices: opts.documents,
      mix,
      sent: sentResult,
      wallSeconds,
      finished,
      byKind: await p.byKind(),
      behind: await p.behind(),
      calls,
      holdings: sb.holdings(org.id),
      throttling: sb.throttling(org.id),
      contractViolations: violations?.length,
    });
  }

  return printDrainReport({
    header: [
      `Ledgerport drain benchmark: one ${sb.orgNoun}, ${sb.title} limits enforced by the sandbox`,
      `  node ${process.version}, PostgreSQL ${database.serverVersion}, ${availableParallelism()} CPUs; sandbox, gateway and load share one process and this machine`,
      `  database ${database.name} on ${new URL(opts.databaseUrl).host} (${opts.keepDatabase ? 'kept' : 'dropped at the end'})`,
      opts.ingestFirst
        ? `  gateway: startGateway(web) in-process for the ingest, then one worker process (node src/main.ts worker), WORKER_CONCURRENCY=${opts.workerConcurrency}, PUSH_DEBOUNCE_MS=${opts.debounceMs}, LOG_LEVEL=warn`
        : `  gateway: startGateway(all) in-process, WORKER_CONCURRENCY=${opts.workerConcurrency}, PUSH_DEBOUNCE_MS=${opts.debounceMs}, LOG_LEVEL=warn`,
      `  load: ${opts.documents} signed sales_order.shipped webhooks, ${opts.concurrency} in flight, ${opts.customers} customers, unique invoice numbers`,
      `  sandbox limits per ${sb.orgNoun}: ${sb.limitsText}; time unscaled`,
    ],
    provider: sb,
    documents: opts.documents,
    sent: sentResult,
    wallSeconds,
    finished,
    firstWebhookAt,
    final,
    calls,
    holdings: sb.holdings(org.id),
    throttling: sb.throttling(org.id),
    contractViolations: violations?.length,
    batches,
    ...(drainWindow && drainSeconds !== undefined ? { drainWindow: { seconds: drainSeconds, startupSeconds: drainWindow.startupSeconds, ...(windowCpu ? { cpu: windowCpu } : {}) } } : {}),
  });
}

await finishBench({ main, cleanup, watchdog, strict: opts.strict, progress, startedAt });
