import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { createGatewayClient } from '../../src/demo/client.ts';
import { duplicateKeys } from '../../src/demo/provider.ts';
import { waitForSessionsToLeave } from '../../src/demo/sessions.ts';
import { shippedInvoice } from '../drain/invoices.ts';
import { sendAll } from '../drain/send.ts';
import { analyze, createBenchDatabase, type BenchDatabase } from '../lib/bench-db.ts';
import { allPostgresCpuSeconds, loadAverage, machineCpuSeconds, processCpuSeconds, startSplitGateway, type SplitGateway } from '../lib/split-gateway.ts';
import { sleep } from '../lib/stats.ts';
import { connectXeroOrg, isInvoiceCreate, startBenchXeroSandbox, xeroEnvironment } from '../lib/xero-orgs.ts';
import type { XeroSandbox } from '../../src/sandbox/xero/index.ts';

export interface TrialResult {
  readonly workers: number;
  readonly documents: number;
  readonly ingestSeconds: number;
  readonly ingestAccepted: number;
  /** Workers started, jobs released to all of them at once, until the last document synced. */
  readonly drainSeconds: number;
  readonly finished: boolean;
  readonly startSeconds: number;
  /** Cores used over the drain window (1.0 = one core busy throughout). */
  readonly cpu: { readonly web: number; readonly workers: readonly number[]; readonly postgresOurs: number; readonly postgresAll: number; readonly bench: number; readonly machineBusy: number; readonly other: number };
  /** Share of samples of active backends by what they waited on ("CPU" = not waiting). */
  readonly waits: Map<string, number>;
  readonly activeBackends: number;
  readonly samples: number;
  readonly queue: { readonly readyMean: number; readonly runningMean: number; readonly readyMax: number };
  readonly creates: number;
  readonly calls: number;
  readonly throttled: number;
  readonly duplicates: number;
  readonly held: number;
  readonly notSynced: Record<string, number>;
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly problems: number;
}

const DRAIN_TIMEOUT_MS = 300_000;
const SAMPLE_MS = 250;

/** One trial: fresh database and sandbox; 50 organisations connected; every webhook ingested with no worker running; then N workers drain it. */
export async function runTrial(opts: {
  databaseUrl: string;
  workers: number;
  documents: number;
  tenants: number;
  customers: number;
  workerConcurrency: number;
  debounceMs: number;
  concurrency: number;
  gatewayRoot: string | undefined;
  logger: Logger;
  progress: (message: string) => void;
  onResources: (r: { database?: BenchDatabase; sandbox?: XeroSandbox; gateway?: SplitGateway }) => void;
}): Promise<TrialResult> {
  const { progress } = opts;
  const database = await createBenchDatabase(opts.databaseUrl);
  opts.onResources({ database });
  const sandbox = await startBenchXeroSandbox(opts.logger);
  opts.onResources({ database, sandbox });
  const logDir = mkdtempSync(path.join(tmpdir(), `ledgerport-scale-${opts.workers}w-`));
  let gateway: SplitGateway | undefined;
  let observer: pg.Client | undefined;
  try {
    gateway = await startSplitGateway({
      databaseUrl: database.url,
      databaseName: database.name,
      providerEnv: (origin) => xeroEnvironment(sandbox, origin),
      logDir,
      extraEnv: { WORKER_CONCURRENCY: String(opts.workerConcurrency), PUSH_DEBOUNCE_MS: String(opts.debounceMs) },
      ...(opts.gatewayRoot ? { root: opts.gatewayRoot } : {}),
    });
    const gw = gateway;
    opts.onResources({ database, sandbox, gateway });
    observer = new pg.Client({ connectionString: database.url, application_name: 'ledgerport-bench-scale' });
    await observer.connect();
    const obs = observer;
    const client = createGatewayClient({ baseUrl: gw.url, opsSecret: gw.secrets.OPS_WEBHOOK_SECRETS, jwtSecret: gw.secrets.AUTH_JWT_SECRET });
    const tenants = Array.from({ length: opts.tenants }, (_, i) => `org_scale_${String(i).padStart(3, '0')}`);
    const orgIds: string[] = [];
    for (const tenant of tenants) orgIds.push(await connectXeroOrg(sandbox, client, tenant, `Scale ${tenant} Ltd`));
    progress(`  ${opts.workers} worker(s): database ${database.name}, web pid ${gw.web.pid}, ${tenants.length} organisations connected; logs in ${logDir}`);

    // Ingest with no worker: the drain window below has the machine to itself.
    const perTenant = (n: number) => Math.floor(n / opts.tenants);
    const sent = await sendAll(client, opts.documents, opts.concurrency, (n) => shippedInvoice(tenants[n % opts.tenants]!, perTenant(n), opts.customers), (n) => `msg_scale_${n}`);
    progress(`  ingested ${sent.accepted} of ${opts.documents} webhooks in ${sent.seconds.toFixed(1)} s (no worker running)`);
    // Every job waits until all workers listen, then all are released at once.
    await obs.query(`update graphile_worker._private_jobs set run_at = 'infinity' where locked_at is null`);
    await analyze(database.url);
    const started = performance.now();
    await Promise.all(Array.from({ length: opts.workers }, () => gw.startWorker()));
    const startSeconds = (performance.now() - started) / 1000;
    const workerPids = gw.workers.map((w) => w.pid);
    const loadBefore = loadAverage();

    const pgCpuFirst = new Map<number, number>();
    const pgCpuLast = new Map<number, number>();
    const trackBackends = (pids: number[], first: boolean) => {
      for (const pid of pids) {
        const cpu = processCpuSeconds(pid);
        if (cpu === undefined) continue;
        if (first || !pgCpuFirst.has(pid)) pgCpuFirst.set(pid, first ? cpu : 0);
        pgCpuLast.set(pid, cpu);
      }
    };
    const backends = async () => (await obs.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database.name])).rows.map((r) => r.pid);
    trackBackends(await backends(), true);
    const cpu0 = { web: processCpuSeconds(gw.web.pid) ?? 0, workers: workerPids.map((p) => processCpuSeconds(p) ?? 0), pg: allPostgresCpuSeconds(), bench: process.cpuUsage(), machine: machineCpuSeconds() };
    const t0 = performance.now();
    await obs.query(`update graphile_worker._private_jobs set run_at = now() where run_at = 'infinity'`);
    await obs.query(`select pg_notify('jobs:insert', '{"count":${opts.documents}}')`);

    const waits = new Map<string, number>();
    let activeSum = 0;
    let samples = 0;
    let readySum = 0;
    let runningSum = 0;
    let readyMax = 0;
    let finished = false;
    let lastLog = t0;
    for (;;) {
      const { rows } = await obs.query<{ open: number; synced: number; ready: number; running: number }>(
        `select (select count(*)::int from documents where status in ('received', 'queued', 'pushing', 'uncertain')) as open,
                (select count(*)::int from documents where status = 'synced') as synced,
                (select count(*)::int from graphile_worker._private_jobs where locked_at is null and run_at <= now()) as ready,
                (select count(*)::int from graphile_worker._private_jobs where locked_at is not null) as running`,
      );
      const activity = await obs.query<{ pid: number; wait: string | null }>(
        `select pid, case when state = 'active' then coalesce(wait_event_type || ':' || wait_event, 'CPU') end as wait
           from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
        [database.name],
      );
      trackBackends(activity.rows.map((r) => r.pid), false);
      for (const r of activity.rows) {
        if (r.wait === null) continue;
        activeSum++;
        waits.set(r.wait, (waits.get(r.wait) ?? 0) + 1);
      }
      const s = rows[0]!;
      samples++;
      readySum += s.ready;
      runningSum += s.running;
      readyMax = Math.max(readyMax, s.ready);
      if (s.synced >= opts.documents && s.open === 0) {
        finished = true;
        break;
      }
      if (performance.now() - t0 > DRAIN_TIMEOUT_MS) break;
      if (performance.now() - lastLog > 10_000) {
        lastLog = performance.now();
        progress(`    ${((lastLog - t0) / 1000).toFixed(0)} s: ${s.synced} synced, ${s.open} open, jobs ready ${s.ready}, running ${s.running}`);
      }
      await sleep(SAMPLE_MS);
    }
    const drainSeconds = (performance.now() - t0) / 1000;
    const benchCpu = process.cpuUsage(cpu0.bench);
    const machine = machineCpuSeconds();
    const web = ((processCpuSeconds(gw.web.pid) ?? cpu0.web) - cpu0.web) / drainSeconds;
    const workers = workerPids.map((pid, i) => ((processCpuSeconds(pid) ?? cpu0.workers[i]!) - cpu0.workers[i]!) / drainSeconds);
    const postgresOurs = [...pgCpuLast].reduce((sum, [pid, last]) => sum + (last - (pgCpuFirst.get(pid) ?? 0)), 0) / drainSeconds;
    const postgresAll = (allPostgresCpuSeconds() - cpu0.pg) / drainSeconds;
    const bench = (benchCpu.user + benchCpu.system) / 1e6 / drainSeconds;
    const machineBusy = (machine.busy - cpu0.machine.busy) / drainSeconds;
    const other = Math.max(0, machineBusy - web - workers.reduce((a, b) => a + b, 0) - postgresOurs - bench);
    const loadAfter = loadAverage();

    const statuses = Object.fromEntries((await obs.query<{ status: string; n: number }>('select status, count(*)::int as n from documents group by status')).rows.map((r) => [r.status, r.n]));
    const notSynced = Object.fromEntries(Object.entries(statuses).filter(([s]) => s !== 'synced'));
    const orgSet = new Set(orgIds);
    const orgRequests = sandbox.requests.filter((r) => r.tenantId !== undefined && orgSet.has(r.tenantId));
    const duplicates = orgIds.reduce((n, id) => n + duplicateKeys(sandbox.invoices(id).map((i) => `${String(i.Type)} ${String(i.InvoiceNumber)}`)).length, 0);
    const problems = [gw.web, ...gw.workers].reduce((n, p) => n + p.problems.count, 0);
    return {
      workers: opts.workers,
      documents: opts.documents,
      ingestSeconds: sent.seconds,
      ingestAccepted: sent.accepted,
      drainSeconds,
      finished,
      startSeconds,
      cpu: { web, workers, postgresOurs, postgresAll, bench, machineBusy, other },
      waits,
      activeBackends: activeSum / Math.max(1, samples),
      samples,
      queue: { readyMean: readySum / Math.max(1, samples), runningMean: runningSum / Math.max(1, samples), readyMax },
      creates: orgRequests.filter((r) => isInvoiceCreate(r) && r.status === 200).length,
      calls: orgRequests.length,
      throttled: orgRequests.filter((r) => r.status === 429).length,
      duplicates,
      held: statuses.held ?? 0,
      notSynced,
      loadBefore,
      loadAfter,
      problems,
    };
  } finally {
    await observer?.end().catch(() => undefined);
    await gateway?.stop().catch((error: unknown) => progress(`gateway stop failed: ${(error as Error).message}`));
    await sandbox.close().catch(() => undefined);
    await waitForSessionsToLeave(opts.databaseUrl, database.name).then(() => database.drop()).catch((error: unknown) => progress(`could not drop ${database.name}: ${(error as Error).message}`));
    opts.onResources({});
  }
}
