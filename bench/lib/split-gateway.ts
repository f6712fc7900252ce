import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/demo/free-port.ts';
import { generateSecrets, type RunSecrets } from '../../src/demo/secrets.ts';
import { listeningPort } from './proc.ts';
import { spawnRole, waitForWeb, waitForWorker, type RoleProcess } from './role-process.ts';

/**
 * The gateway as `fly.toml` runs it: one `node src/main.ts web` process and any number of
 * `node src/main.ts worker` processes, separate OS processes on one database, with the V8 flags of
 * `npm run start:web` / `start:worker`. Workers can be started later than the web process (ingest
 * first, then drain) and stopped again, so one run can compare 1 and 2 workers on the same data.
 */
export interface SplitGateway {
  readonly url: string;
  readonly port: number;
  readonly secrets: RunSecrets;
  /** The environment every process of this gateway gets (workers add METRICS_PORT=0). */
  readonly env: Readonly<Record<string, string>>;
  readonly web: RoleProcess;
  readonly workers: readonly RoleProcess[];
  /** Spawns one more worker process; resolves once it LISTENs for jobs (spawnedAt: before the spawn). */
  startWorker(): Promise<{ proc: RoleProcess; spawnedAt: number; readyAt: number }>;
  /** SIGTERM every worker and waits for them (their jobs finish or run again elsewhere). */
  stopWorkers(): Promise<void>;
  stop(): Promise<void>;
  /** SIGKILL everything at once (the bench is aborting). */
  killNow(): void;
}

export async function startSplitGateway(opts: {
  databaseUrl: string;
  databaseName: string;
  /** XERO_* / QBO_* settings for a gateway at `origin`. */
  providerEnv: (origin: string) => Record<string, string>;
  logDir: string;
  extraEnv?: Record<string, string>;
  root?: string;
}): Promise<SplitGateway> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const secrets = generateSecrets();
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: origin,
    DATABASE_URL: opts.databaseUrl,
    DATABASE_POOL_SIZE: '10',
    SHUTDOWN_TIMEOUT_MS: '20000',
    ...secrets,
    ...opts.providerEnv(origin),
    ...opts.extraEnv,
  };
  const admin = new pg.Client({ connectionString: opts.databaseUrl, application_name: 'ledgerport-bench-observer' });
  await admin.connect();
  const pgPort = Number(new URL(opts.databaseUrl).port || 5432);
  const rootOpt = opts.root ? { root: opts.root } : {};
  const web = spawnRole({ role: 'web', name: 'web', env, logFile: path.join(opts.logDir, 'web.log'), nodeArgs: ['--max-semi-space-size=4', '--max-old-space-size=192'], ...rootOpt });
  try {
    await waitForWeb(web, port);
  } catch (error) {
    web.kill('SIGKILL');
    await admin.end();
    throw error;
  }
  const workers: RoleProcess[] = [];
  return {
    url: origin,
    port,
    secrets,
    env,
    web,
    workers,
    async startWorker() {
      const name = `worker-${workers.length + 1}`;
      const spawnedAt = performance.now();
      const proc = spawnRole({ role: 'worker', name, env: { ...env, METRICS_PORT: '0' }, logFile: path.join(opts.logDir, `${name}.log`), nodeArgs: ['--max-semi-space-size=4'], ...rootOpt });
      workers.push(proc);
      await waitForWorker(proc, admin, opts.databaseName, pgPort);
      return { proc, spawnedAt, readyAt: performance.now() };
    },
    async stopWorkers() {
      await Promise.all(workers.splice(0).map((w) => w.stop(25_000)));
    },
    async stop() {
      await Promise.all(workers.splice(0).map((w) => w.stop(25_000)));
      await web.stop(25_000);
      await admin.end().catch(() => undefined);
    },
    killNow() {
      for (const w of workers) w.kill('SIGKILL');
      web.kill('SIGKILL');
    },
  };
}

/** A worker's /metrics listener (METRICS_PORT=0: whatever port it got), as Prometheus text. */
export async function scrapeMetrics(pid: number): Promise<string | undefined> {
  const port = listeningPort(pid);
  if (!port) return undefined;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Sums the samples of `name` (e.g. a counter or a histogram's `_sum`) whose labels contain every `match` pair. */
export function metricSum(text: string | undefined, name: string, match: Record<string, string> = {}): number {
  if (!text) return Number.NaN;
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const labels = rest[0] === '{' ? rest.slice(1, rest.indexOf('}')) : '';
    if (!Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

// --- CPU from /proc -------------------------------------------------------------------------

const TICKS = 100;

/** utime + stime of one process in seconds, or undefined once it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return undefined;
  }
}

/** CPU seconds of every `postgres` process on the machine (ours and everybody else's). */
export function allPostgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / TICKS;
    } catch {
      // Exited while we looked.
    }
  }
  return total;
}

/** Busy CPU seconds of the whole machine (all cores) and the idle ones, from /proc/stat. */
export function machineCpuSeconds(): { busy: number; idle: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return { busy: ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS, idle: ((idle ?? 0) + (iowait ?? 0)) / TICKS };
}

export const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
