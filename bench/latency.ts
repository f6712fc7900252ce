import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { createGatewayClient } from '../src/demo/client.ts';
import { waitForSessionsToLeave } from '../src/demo/sessions.ts';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import { createBenchDatabase, type BenchDatabase } from './lib/bench-db.ts';
import { finishBench, guardRun } from './lib/finish.ts';
import { sourceFingerprint } from './lib/gateway-process.ts';
import { loadAverage, startSplitGateway, type SplitGateway } from './lib/split-gateway.ts';
import { connectXeroOrg, startBenchXeroSandbox, xeroEnvironment } from './lib/xero-orgs.ts';
import { readLatencyOptions } from './latency/options.ts';
import { loadLabel, loadTenants, ratePerOrgText, type LoadSpec } from './latency/load.ts';
import { runPhase, warmUp, type PhaseOrg, type PhaseResult } from './latency/phase.ts';
import { printLatencyReport } from './latency/report.ts';

/**
 * Latency benchmark: a webhook's time to the provider at low load. The gateway runs as deployed
 * (one web and one worker process, the gateway's batching settings unless told otherwise) against
 * a Xero sandbox with Xero's real limits; each rate is a phase of its own, sent to one
 * organisation or round-robin over many (as a platform's load comes), each organisation with its
 * own minute budget and contacts that exist already, and each webhook is timed from its send to
 * the sandbox's receipt of the PUT /Invoices that carried it. Progress to stderr, the report to
 * stdout. Loopback only.
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

const PUSH_SETTINGS: readonly string[] = ['PUSH_DEBOUNCE_MS', 'PUSH_QUIET_MS'];

/**
 * PUSH_DEBOUNCE_MS and PUSH_QUIET_MS as the gateway's config reads its environment, and whether
 * each is its default (this checkout's src/config.ts; --gateway-root may differ).
 */
function pushSettings(env: Readonly<Record<string, string>>): string {
  const effective = loadConfig(env).push;
  const defaults = loadConfig(Object.fromEntries(Object.entries(env).filter(([name]) => !PUSH_SETTINGS.includes(name)))).push;
  const setting = (name: string, value: number, fallback: number) => `${name}=${value}${name in env ? ` (set for this run; the default is ${fallback})` : ' (the default)'}`;
  return `${setting('PUSH_DEBOUNCE_MS', effective.debounceMs, defaults.debounceMs)}, ${setting('PUSH_QUIET_MS', effective.quietMs, defaults.quietMs)}`;
}

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
    extraEnv: {
      ...(opts.debounceMs === undefined ? {} : { PUSH_DEBOUNCE_MS: String(opts.debounceMs) }),
      WORKER_CONCURRENCY: String(opts.workerConcurrency),
      ...opts.gatewayEnv,
    },
    ...(opts.gatewayRoot ? { root: opts.gatewayRoot } : {}),
  });
  const gw = gateway;
  const worker = await gw.startWorker();
  progress(`database ${db.name}; web ${gw.url} (pid ${gw.web.pid}) and worker (pid ${worker.proc.pid}) as separate processes; Xero sandbox ${sb.url}; logs in ${logDir}`);
  observer = new pg.Client({ connectionString: db.url, application_name: 'ledgerport-bench-latency' });
  await observer.connect();
  const client = createGatewayClient({ baseUrl: gw.url, opsSecret: gw.secrets.OPS_WEBHOOK_SECRETS, jwtSecret: gw.secrets.AUTH_JWT_SECRET });

  // OAuth one organisation at a time (the sandbox's consent names the organisation); a phase's warm-ups run together.
  const plans: { load: LoadSpec; orgs: PhaseOrg[] }[] = [];
  for (const load of opts.rates) {
    const orgs: PhaseOrg[] = [];
    for (const tenant of loadTenants(load)) orgs.push({ tenant, orgId: await connectXeroOrg(sb, client, tenant, `Latency ${tenant} Ltd`) });
    await warmUp(client, observer, orgs.map((o) => o.tenant), opts.customers);
    plans.push({ load, orgs });
    const who = orgs.length === 1 ? `${orgs[0]!.tenant} connected through OAuth to its own organisation` : `${orgs.length} tenants (${orgs[0]!.tenant} …) connected through OAuth, each to its own organisation`;
    progress(`${who}; ${opts.customers} contacts created by a warm-up invoice each`);
  }

  const phases: PhaseResult[] = [];
  for (const { load, orgs } of plans) {
    const where = orgs.length === 1 ? `to ${orgs[0]!.tenant}` : `round-robin to ${orgs.length} tenants (${ratePerOrgText(load)}/s each)`;
    progress(`phase ${loadLabel(load)} for ${opts.seconds} s ${where} (load average ${loadAverage()})`);
    const result = await runPhase({ client, db: observer, sandbox: sb, load, orgs, seconds: opts.seconds, customers: opts.customers, first: opts.customers, workerPid: worker.proc.pid, progress });
    phases.push(result);
    progress(`  p50 ${result.endToEnd.p50.toFixed(0)} ms, p99 ${result.endToEnd.p99.toFixed(0)} ms over ${result.endToEnd.count} invoices in ${result.creates} creates`);
  }
  const otherEnv = Object.entries(opts.gatewayEnv).filter(([name]) => !PUSH_SETTINGS.includes(name));
  const problems = [gw.web, ...gw.workers].map((p) => p.problems.count).reduce((a, b) => a + b, 0);
  return printLatencyReport(
    [
      `Ledgerport latency benchmark: webhook → invoice received by the Xero sandbox (real limits: 60 calls/min, 5 at once, 5,000/day per organisation)`,
      `  node ${process.version}, PostgreSQL ${db.serverVersion}, ${availableParallelism()} CPUs shared with other users; load average ${loadAtStart} at the start, ${loadAverage()} at the end`,
      `  gateway source ${sourceFingerprint(opts.gatewayRoot)}: web and worker as separate processes (node src/main.ts web|worker, NODE_ENV=production),`,
      `  ${pushSettings(gw.env)}, WORKER_CONCURRENCY=${opts.workerConcurrency}, graphile-worker pollInterval 1000 ms${otherEnv.length ? `, ${otherEnv.map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`,
      `  load: open loop, evenly spaced signed sales_order.shipped webhooks, ${opts.customers} customers (contacts created before measuring); sandbox and load generator in this process`,
      `  ${problems} warn/error lines logged by the gateway processes`,
    ],
    phases,
  );
}

await finishBench({ main, cleanup, watchdog, strict: opts.strict, progress, startedAt });
