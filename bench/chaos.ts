import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { createGatewayClient } from '../src/demo/client.ts';
import { freePort } from '../src/demo/free-port.ts';
import { generateSecrets } from '../src/demo/secrets.ts';
import { waitForSessionsToLeave } from '../src/demo/sessions.ts';
import { createBenchDatabase, type BenchDatabase } from './lib/bench-db.ts';
import { guardRun } from './lib/finish.ts';
import { sourceFingerprint } from './lib/gateway-process.ts';
import type { ExitInfo } from './lib/role-process.ts';
import { snapshotGatewaySource } from './lib/source-snapshot.ts';
import { sleep } from './lib/stats.ts';
import { createCluster, type Cluster } from './chaos/cluster.ts';
import { armQuickBooksFaults, armXeroFaults } from './chaos/faults.ts';
import { startMonkey } from './chaos/monkey.ts';
import { readChaosOptions } from './chaos/options.ts';
import { makePlan } from './chaos/plan.ts';
import { createPlatform, followFeeds } from './chaos/platform.ts';
import { printChaosReport } from './chaos/report.ts';
import { createRng } from './chaos/rng.ts';
import { runRollingRestarts, type RollingResult } from './chaos/rolling.ts';
import { requestLogLines, startSandboxes, throttled, type Sandboxes } from './chaos/sandboxes.ts';
import { createScript } from './chaos/script.ts';
import { checkDocuments, lostDeliveries, pendingInLedgerport, readDocuments, statusCounts } from './chaos/verify.ts';

/**
 * Chaos run ("proof under fire"): the gateway as separate web and worker processes on one
 * database, both provider sandboxes (real limits, real time) answering some calls with 5xx,
 * dropping some responses after the write and forcing some 429s, and a platform that redelivers
 * every webhook until it gets a 2xx, while workers and the web process are SIGKILLed and
 * restarted and PostgreSQL backends are terminated. Then the faults stop, everything settles
 * and the checks run; then a rolling restart under ~500 webhooks/s. Progress on stderr, the
 * report on stdout; exit 1 when a target is missed. Loopback only.
 */
const opts = readChaosOptions(process.argv.slice(2));
const startedAt = performance.now();
const progress = (message: string) => process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);

let database: BenchDatabase | undefined;
let admin: pg.Client | undefined;
let sandboxes: Sandboxes | undefined;
let cluster: Cluster | undefined;
let stopFeeds: (() => Promise<void>) | undefined;
let witness: NodeJS.Timeout | undefined;
let logDir: string | undefined;
let keepLogs = opts.keepLogs;

// Whatever happens to the bench, no gateway process outlives it.
process.on('exit', () => cluster?.killAllNow());

async function cleanup() {
  const [c, s, a, d] = [cluster, sandboxes, admin, database];
  cluster = undefined;
  sandboxes = undefined;
  admin = undefined;
  database = undefined;
  clearInterval(witness);
  await stopFeeds?.().catch(() => undefined);
  if (c) {
    await c.stopAll(15_000).catch(() => undefined);
    c.killAllNow();
  }
  await s?.close();
  await a?.end().catch(() => undefined);
  if (d && !opts.keepDatabase) await waitForSessionsToLeave(opts.databaseUrl, d.name).then(() => d.drop()).catch((error: unknown) => progress(`could not drop ${d.name}: ${(error as Error).message}`));
  if (logDir && !keepLogs) rmSync(logDir, { recursive: true, force: true });
}

const watchdog = guardRun({
  maxSeconds: opts.maxSeconds,
  cleanup: async () => {
    keepLogs = true;
    await cleanup();
  },
  progress,
});

const replayCommand = () =>
  [
    'npm run bench:chaos --',
    opts.short ? '--short' : '',
    `--seed ${opts.seed}`,
    `--documents ${opts.documents}`,
    `--tenants ${opts.tenants}`,
  ]
    .filter(Boolean)
    .join(' ');

async function main(): Promise<{ ok: boolean }> {
  const quiet = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }));
  database = await createBenchDatabase(opts.databaseUrl);
  const db = database;
  admin = new pg.Client({ connectionString: db.url, application_name: 'ledgerport-chaos' });
  await admin.connect();
  const observer = admin;
  logDir = mkdtempSync(path.join(tmpdir(), `ledgerport-chaos-${opts.seed}-`));
  // The gateway runs from a copy of its source taken now: others edit the working tree meanwhile.
  const gatewayRoot = snapshotGatewaySource(path.join(logDir, 'gateway'));
  const fingerprint = sourceFingerprint(gatewayRoot);
  progress(`database ${db.name}; gateway source ${fingerprint} copied to ${gatewayRoot}; logs in ${logDir}`);

  sandboxes = await startSandboxes(quiet);
  const sb = sandboxes;
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const secrets = generateSecrets();
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PUBLIC_URL: origin,
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '10',
    WORKER_CONCURRENCY: String(opts.workerConcurrency),
    PUSH_DEBOUNCE_MS: '500',
    PROVIDER_REQUEST_TIMEOUT_MS: String(opts.requestTimeoutMs),
    SHUTDOWN_TIMEOUT_MS: '20000',
    ...secrets,
    ...sb.environment(origin),
  };
  cluster = createCluster({
    port,
    env,
    workers: opts.workers,
    logDir,
    admin: observer,
    database: db.name,
    pgPort: Number(new URL(db.url).port || 5432),
    // As package.json's start:web and start:worker run them.
    webNodeArgs: ['--max-semi-space-size=4', '--max-old-space-size=192'],
    workerNodeArgs: ['--max-semi-space-size=4'],
    root: gatewayRoot,
  });
  const cl = cluster;
  await cl.startWeb();
  for (let i = 0; i < opts.workers; i++) await cl.startWorker(i);
  progress(`gateway: web on ${cl.url}, ${opts.workers} workers (separate processes); Xero sandbox ${sb.xero.url}, QuickBooks sandbox ${sb.quickbooks.url}`);

  const client = createGatewayClient({ baseUrl: cl.url, opsSecret: secrets.OPS_WEBHOOK_SECRETS, jwtSecret: secrets.AUTH_JWT_SECRET });
  const plan = makePlan({ seed: opts.seed, documents: opts.documents, tenants: opts.tenants, loadSeconds: opts.loadSeconds, rng: createRng(opts.seed, 'plan') });
  await sb.connect(client, plan.tenants);
  const edits = plan.documents.filter((d) => d.edit !== 'none').length;
  const voids = plan.documents.filter((d) => d.voids).length;
  progress(
    `${plan.tenants.length} tenants connected through OAuth (${plan.tenants.filter((t) => t.provider === 'xero').length} Xero, ${plan.tenants.filter((t) => t.provider === 'quickbooks').length} QuickBooks), posting defaults saved; ` +
      `plan: ${plan.documents.length} documents (${plan.documents.filter((d) => d.kind === 'sales_invoice').length} invoices), ${edits} edits, ${voids} voids, ${plan.payments.length} payments (seed ${opts.seed})`,
  );

  const rates = { fail: 0.1, drop: 0.05, force429: 0.02 };
  const faults = {
    xero: armXeroFaults(sb.xero, rates, createRng(opts.seed, 'faults:xero'), 2),
    quickbooks: armQuickBooksFaults(sb.quickbooks, rates, createRng(opts.seed, 'faults:quickbooks')),
  };
  const platform = createPlatform({ baseUrl: cl.url, opsSecret: secrets.OPS_WEBHOOK_SECRETS, rng: createRng(opts.seed, 'backoff'), maxInFlight: 32 });
  const script = createScript(plan, platform, createRng(opts.seed, 'early-edits'));
  const tokens = new Map<string, string>();
  const feeds = followFeeds({
    baseUrl: cl.url,
    tenants: plan.tenants.map((t) => t.id),
    token: async (t) => tokens.get(t) ?? tokens.set(t, await client.token(t, '6h')).get(t)!,
    intervalMs: 1_000,
    onEvent: (t, e) => script.onFeed(t, e.type, e.data),
  });
  stopFeeds = () => feeds.stop();
  witness = setInterval(() => sb.witnessBills(), 200);

  // Chaos.
  const chaosStart = performance.now();
  faults.xero.enable();
  faults.quickbooks.enable();
  const monkey = startMonkey({
    cluster: cl,
    admin: observer,
    database: db.name,
    schedule: { workerKillEvery: [3, 6], webKillEvery: [12, 20], pgTerminateEvery: [2, 5], pgTerminateShare: 0.3 },
    rng: { workers: createRng(opts.seed, 'kill:workers'), web: createRng(opts.seed, 'kill:web'), pg: createRng(opts.seed, 'kill:pg') },
    progress,
  });
  script.start();
  const counts = async () => {
    const docs = await readDocuments(observer, plan.tenants.map((t) => t.id));
    return { docs, text: Object.entries(statusCounts(docs)).map(([s, n]) => `${s} ${n}`).join(', ') };
  };
  let lastLine = 0;
  for (;;) {
    const elapsed = (performance.now() - chaosStart) / 1000;
    if ((elapsed >= opts.chaosSeconds && script.createsAcknowledged()) || elapsed >= opts.chaosSeconds * 2) break;
    if (performance.now() - lastLine > 10_000) {
      lastLine = performance.now();
      const { text } = await counts();
      progress(`chaos ${elapsed.toFixed(0)} s: ${platform.acks.size} acknowledged, ${platform.pending()} being delivered | ${text} | kills: ${monkey.stats.workerKills} workers, ${monkey.stats.webKills} web; ${monkey.stats.pgTerminations} backends terminated`);
    }
    await sleep(500);
  }
  faults.xero.disable();
  faults.quickbooks.disable();
  await monkey.stop();
  const chaosSeconds = (performance.now() - chaosStart) / 1000;
  const lastFaultAt = Math.max(monkey.stats.lastFaultAt ?? 0, faults.xero.lastAt() ?? 0, faults.quickbooks.lastAt() ?? 0, chaosStart);
  const atFaultStop = { pending: pendingInLedgerport(plan, platform.acks.values(), (await counts()).docs), unsent: script.unsent().keys.length };
  progress(`faults stopped after ${chaosSeconds.toFixed(0)} s; every process running again; ${atFaultStop.pending} documents not final yet, ${atFaultStop.unsent} follow-ups not sent yet; settling`);

  // Settle: everything the platform still has to send is sent, and Ledgerport shows every document in its final state.
  let settleSeconds: number | undefined;
  lastLine = 0;
  for (;;) {
    const { docs, text } = await counts();
    const pending = pendingInLedgerport(plan, platform.acks.values(), docs);
    const unsent = script.unsent();
    if (pending === 0 && platform.pending() === 0 && unsent.keys.length === 0) {
      settleSeconds = (performance.now() - lastFaultAt) / 1000;
      break;
    }
    const waited = (performance.now() - lastFaultAt) / 1000;
    if (waited > opts.settleSeconds) {
      progress(`gave up settling after ${waited.toFixed(0)} s: ${pending} documents not final in Ledgerport; ${unsent.documents} documents and ${unsent.payments} payments with follow-ups not sent`);
      break;
    }
    if (performance.now() - lastLine > 10_000) {
      lastLine = performance.now();
      progress(`settling ${waited.toFixed(0)} s after the last fault: ${pending} not final | ${text} | ${unsent.keys.length} follow-ups unsent, ${platform.pending()} being delivered`);
    }
    await sleep(500);
  }
  if (settleSeconds !== undefined) progress(`settled ${settleSeconds.toFixed(1)} s after the last fault`);
  platform.stop();
  script.stop();
  await feeds.stop();
  stopFeeds = undefined;
  clearInterval(witness);
  sb.witnessBills();

  // Part 2: rolling restarts under load.
  let rolling: RollingResult | undefined;
  if (opts.rolling) {
    progress(`rolling restarts at ${opts.rollingRate} webhooks/s: web, then each worker, SIGTERM and start again`);
    rolling = await runRollingRestarts({ cluster: cl, db: observer, opsSecret: secrets.OPS_WEBHOOK_SECRETS, rate: opts.rollingRate, tenants: 10, rng: createRng(opts.seed, 'rolling'), marginSeconds: opts.short ? 1 : 3, progress });
    progress(`rolling restarts: ${rolling.acknowledged} acknowledged at ${rolling.achievedRate.toFixed(0)}/s, ${rolling.lost.length} lost, ${rolling.unrouted} unrouted`);
  }

  // Stop everything gracefully, then judge what is left.
  const finalStops: { name: string; exit: ExitInfo }[] = [];
  const running = [cl.web(), ...Array.from({ length: cl.workerCount }, (_, i) => cl.worker(i))].filter((p) => p !== undefined && !p.exitInfo());
  await Promise.all(running.map(async (p) => finalStops.push({ name: p!.name, exit: await cl.terminate(p!, 30_000) })));
  sb.witnessBills();
  const docs = await readDocuments(observer, plan.tenants.map((t) => t.id));
  const { accepted, lost } = await lostDeliveries(observer, platform.acks.values(), docs);
  const findings = checkDocuments(plan, platform.acks.values(), docs, sb);
  let xeroCalls = 0;
  let qboCalls = 0;
  for (const t of plan.tenants) {
    const orgId = sb.orgs.get(t.id)!;
    if (t.provider === 'xero') xeroCalls += sb.xero.stats(orgId).calls;
    else qboCalls += sb.quickbooks.stats(orgId).calls;
  }

  const report = printChaosReport({
    header: [
      `Ledgerport chaos run: ${opts.documents} documents over ${opts.tenants} tenants (Xero and QuickBooks), seed ${opts.seed}${opts.short ? ' (--short)' : ''}`,
      `  node ${process.version}, PostgreSQL ${db.serverVersion}, ${availableParallelism()} CPUs; gateway source ${fingerprint} (copied at the start)`,
      `  gateway: 1 web + ${opts.workers} worker processes (node src/main.ts web|worker, NODE_ENV=production), WORKER_CONCURRENCY=${opts.workerConcurrency}, PUSH_DEBOUNCE_MS=500, PROVIDER_REQUEST_TIMEOUT_MS=${opts.requestTimeoutMs}`,
      `  sandboxes in the bench process at the providers' limits in real time; faults: 10% of API calls 5xx, 5% of writes' responses dropped after the write, 2% forced 429`,
      `  platform: first versions over ${opts.loadSeconds} s, 32 deliveries in flight at most, every webhook redelivered until 2xx; follow-ups as the change feed shows documents synced`,
    ],
    chaosSeconds,
    monkey: monkey.stats,
    faults,
    sandboxCalls: { xero: xeroCalls, quickbooks: qboCalls },
    platform: platform.stats,
    accepted,
    lost,
    findings,
    throttled: throttled(sb),
    settleSeconds,
    settleLimit: opts.settleSeconds,
    atFaultStop,
    rolling,
    finalStops,
    processes: cl.history,
    unexpectedExits: cl.unexpectedExits,
    contractViolations: sb.xero.contractViolations.length,
    feedFailures: script.feedFailures.length,
    replay: replayCommand(),
    logDir,
  });
  if (!report.ok) {
    keepLogs = true;
    writeFileSync(path.join(logDir, 'sandbox-requests.jsonl'), `${requestLogLines(sb).join('\n')}\n`);
  }
  return report;
}

try {
  const { ok } = await main();
  await cleanup();
  clearTimeout(watchdog);
  progress(`done in ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
  process.exitCode = ok ? 0 : 1;
} catch (error) {
  keepLogs = true;
  progress(`failed: ${(error as Error).stack ?? String(error)}`);
  await cleanup();
  clearTimeout(watchdog);
  process.exitCode = 1;
}
