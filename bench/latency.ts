import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { createGatewayClient } from '../src/demo/client.ts';
import { waitForSessionsToLeave } from '../src/demo/sessions.ts';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import { createBenchDatabase, type BenchDatabase } from './lib/bench-db.ts';
import { finishBench, guardRun } from './lib/finish.ts';
import { sourceFingerprint } from './lib/gateway-process.ts';
import { loadAverage, startSplitGateway, type SplitGateway } from './lib/split-gateway.ts';
import { connectXeroOrg, startBenchXeroSandbox, xeroEnvironment } from './lib/xero-orgs.ts';
import { readLatencyOptions } from './latency/options.ts';
import { runPhase, warmUp, type PhaseResult } from './latency/phase.ts';
import { printLatencyReport } from './latency/report.ts';

/**
 * Latency benchmark: a webhook's time to the provider at low load. The gateway runs as deployed
 * (one web and one worker process) against a Xero sandbox with Xero's real limits; each rate is
 * a phase of its own for its own organisation (its own minute budget), whose contacts exist
 * already, and each webhook is timed from its send to the sandbox's receipt of the PUT /Invoices
 * that carried it. Progress to stderr, the report to stdout. Loopback only.
 */
const opts = readLatencyOptions(process.argv.slice(2));
const startedAt = performance.now();
const progress = (message: string) => process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);

let database: BenchDatabase | undefined;
let sandbox: XeroSandbox | undefined;
let gateway: SplitGateway | undefined;
let observer: pg.Client | undefined;

async function cleanup() {
  const [g, s, o, d] = [gateway, sandbox, observer, database];
  gateway = sandbox = observer = database = undefined;
  await g?.stop().catch((error: unknown) => progress(`gateway stop failed: ${(error as Error).message}`));
  await o?.end().catch(() => undefined);
  await s?.close().catch(() => undefined);
  if (d && !opts.keepDatabase) await waitForSessionsToLeave(opts.databaseUrl, d.name).then(() => d.drop()).catch((error: unknown) => progress(`could not drop ${d.name}: ${(error as Error).message}`));
}

const watchdog = guardRun({ maxSeconds: opts.maxSeconds, cleanup, progress });

async function main() {
  const quiet = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }));
  const loadAtStart = loadAverage();
  database = await createBenchDatabase(opts.databaseUrl);
  const db = database;
  const logDir = mkdtempSync(path.join(tmpdir(), 'ledgerport-latency-'));
  sandbox = await startBenchXeroSandbox(quiet);
  const sb = sandbox;
  gateway = await startSplitGateway({
    databaseUrl: db.url,
    databaseName: db.name,
    providerEnv: (origin) => xeroEnvironment(sb, origin),
    logDir,
    extraEnv: { PUSH_DEBOUNCE_MS: String(opts.debounceMs), WORKER_CONCURRENCY: String(opts.workerConcurrency), ...opts.gatewayEnv },
    ...(opts.gatewayRoot ? { root: opts.gatewayRoot } : {}),
  });
  const gw = gateway;
  const worker = await gw.startWorker();
  progress(`database ${db.name}; web ${gw.url} (pid ${gw.web.pid}) and worker (pid ${worker.proc.pid}) as separate processes; Xero sandbox ${sb.url}; logs in ${logDir}`);
  observer = new pg.Client({ connectionString: db.url, application_name: 'ledgerport-bench-latency' });
  await observer.connect();
  const client = createGatewayClient({ baseUrl: gw.url, opsSecret: gw.secrets.OPS_WEBHOOK_SECRETS, jwtSecret: gw.secrets.AUTH_JWT_SECRET });

  const orgs: { tenant: string; orgId: string; rate: number }[] = [];
  for (const rate of opts.rates) {
    const tenant = `org_latency_${String(rate).replace('.', '_')}`;
    const orgId = await connectXeroOrg(sb, client, tenant, `Latency ${rate}/s Ltd`);
    await warmUp(client, observer, tenant, opts.customers);
    orgs.push({ tenant, orgId, rate });
    progress(`${tenant} connected through OAuth to its own organisation; ${opts.customers} contacts created by a warm-up invoice each`);
  }

  const phases: PhaseResult[] = [];
  for (const org of orgs) {
    progress(`phase ${org.rate}/s for ${opts.seconds} s to ${org.tenant} (load average ${loadAverage()})`);
    const result = await runPhase({ client, db: observer, sandbox: sb, orgId: org.orgId, tenant: org.tenant, rate: org.rate, seconds: opts.seconds, customers: opts.customers, first: opts.customers, workerPid: worker.proc.pid, progress });
    phases.push(result);
    progress(`  p50 ${result.endToEnd.p50.toFixed(0)} ms, p99 ${result.endToEnd.p99.toFixed(0)} ms over ${result.endToEnd.count} invoices in ${result.creates} creates`);
  }
  const problems = [gw.web, ...gw.workers].map((p) => p.problems.count).reduce((a, b) => a + b, 0);
  return printLatencyReport(
    [
      `Ledgerport latency benchmark: webhook → invoice received by the Xero sandbox (real limits: 60 calls/min, 5 at once, 5,000/day per organisation)`,
      `  node ${process.version}, PostgreSQL ${db.serverVersion}, ${availableParallelism()} CPUs shared with other users; load average ${loadAtStart} at the start, ${loadAverage()} at the end`,
      `  gateway source ${sourceFingerprint(opts.gatewayRoot)}: web and worker as separate processes (node src/main.ts web|worker, NODE_ENV=production),`,
      `  PUSH_DEBOUNCE_MS=${opts.debounceMs} (the default is 1000; set low for this measurement), WORKER_CONCURRENCY=${opts.workerConcurrency}, graphile-worker pollInterval 1000 ms${Object.keys(opts.gatewayEnv).length ? `, ${Object.entries(opts.gatewayEnv).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`,
      `  load: open loop, evenly spaced signed sales_order.shipped webhooks, ${opts.customers} customers (contacts created before measuring); sandbox and load generator in this process`,
      `  ${problems} warn/error lines logged by the gateway processes`,
    ],
    phases,
  );
}

await finishBench({ main, cleanup, watchdog, strict: opts.strict, progress, startedAt });
