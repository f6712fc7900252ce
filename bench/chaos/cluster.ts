import path from 'node:path';
import type pg from 'pg';
import { spawnRole, waitForWeb, waitForWorker, type ExitInfo, type RoleProcess } from '../lib/role-process.ts';

/**
 * The gateway as deployed apart: one web process on a fixed port (the platform and the OAuth
 * redirect URI name it, so a restarted web process comes back on the same one) and workers,
 * each its own `node src/main.ts web|worker` OS process sharing one database.
 */
export interface Cluster {
  readonly port: number;
  readonly url: string;
  web(): RoleProcess | undefined;
  worker(i: number): RoleProcess | undefined;
  readonly workerCount: number;
  /** Starts (or restarts) the web process and waits until /readyz answers. */
  startWeb(): Promise<RoleProcess>;
  /** Starts (or restarts) worker i; `wait` waits until it listens for jobs. */
  startWorker(i: number, wait?: boolean): Promise<RoleProcess>;
  /** Every process running and ready (started again where one is not). */
  ensureRunning(): Promise<void>;
  /** SIGKILL (no cleanup at all) and the exit. */
  kill(proc: RoleProcess): Promise<ExitInfo>;
  /** SIGTERM and the graceful exit (its exit code; SIGKILL after graceMs). */
  terminate(proc: RoleProcess, graceMs?: number): Promise<ExitInfo>;
  /** Every process started so far, for their logged problems and exits. */
  readonly history: RoleProcess[];
  /** Processes that exited without being killed or stopped (and were started again, as a supervisor would). */
  readonly unexpectedExits: { name: string; exit: ExitInfo }[];
  stopAll(graceMs?: number): Promise<void>;
  /** SIGKILL whatever still runs (on a crash of the bench). */
  killAllNow(): void;
}

export function createCluster(opts: {
  port: number;
  env: Record<string, string>;
  workers: number;
  logDir: string;
  admin: pg.Client;
  database: string;
  pgPort: number;
  webNodeArgs?: readonly string[];
  workerNodeArgs?: readonly string[];
  /** Where the processes run from (default the repository). */
  root?: string;
}): Cluster {
  let web: RoleProcess | undefined;
  const workers: (RoleProcess | undefined)[] = Array.from({ length: opts.workers }, () => undefined);
  const history: RoleProcess[] = [];
  const unexpectedExits: { name: string; exit: ExitInfo }[] = [];
  const intended = new WeakSet<RoleProcess>();
  let stopping = false;
  const env = { ...opts.env, PORT: String(opts.port) };

  // A worker's own /metrics listener must not collide with the other worker's: any free port.
  const roleEnv = { web: env, worker: { ...env, METRICS_PORT: '0' } };
  const spawn = (role: 'web' | 'worker', name: string, nodeArgs: readonly string[] | undefined) => {
    const proc = spawnRole({ role, name, env: roleEnv[role], logFile: path.join(opts.logDir, `${name}.log`), ...(nodeArgs ? { nodeArgs } : {}), ...(opts.root ? { root: opts.root } : {}) });
    history.push(proc);
    // As a process supervisor would: one that exits on its own is started again.
    void proc.exited.then((exit) => {
      if (intended.has(proc) || stopping) return;
      unexpectedExits.push({ name, exit });
      setTimeout(() => {
        if (stopping) return;
        if (role === 'web' && web === proc) void cluster.startWeb().catch(() => undefined);
        const i = workers.indexOf(proc);
        if (role === 'worker' && i >= 0) void cluster.startWorker(i, false).catch(() => undefined);
      }, 500);
    });
    return proc;
  };

  const cluster: Cluster = {
    port: opts.port,
    url: `http://127.0.0.1:${opts.port}`,
    web: () => web,
    worker: (i) => workers[i],
    workerCount: opts.workers,
    history,
    async startWeb() {
      if (web && !web.exitInfo()) throw new Error('the web process is still running');
      web = spawn('web', 'web', opts.webNodeArgs);
      await waitForWeb(web, opts.port);
      return web;
    },
    async startWorker(i, wait = true) {
      const current = workers[i];
      if (current && !current.exitInfo()) throw new Error(`worker ${i + 1} is still running`);
      const proc = spawn('worker', `worker-${i + 1}`, opts.workerNodeArgs);
      workers[i] = proc;
      if (wait) await waitForWorker(proc, opts.admin, opts.database, opts.pgPort);
      return proc;
    },
    unexpectedExits,
    async ensureRunning() {
      for (let attempt = 0; ; attempt++) {
        try {
          if (!web || web.exitInfo()) await cluster.startWeb();
          else await waitForWeb(web, opts.port);
          for (let i = 0; i < workers.length; i++) {
            const w = workers[i];
            if (!w || w.exitInfo()) await cluster.startWorker(i);
            else await waitForWorker(w, opts.admin, opts.database, opts.pgPort);
          }
          return;
        } catch (error) {
          // A process the supervisor is starting again, or one that died while we waited: look again.
          if (attempt >= 5) throw error;
        }
      }
    },
    async kill(proc) {
      intended.add(proc);
      proc.kill('SIGKILL');
      return proc.exited;
    },
    async terminate(proc, graceMs = 30_000) {
      intended.add(proc);
      return proc.stop(graceMs);
    },
    async stopAll(graceMs = 30_000) {
      stopping = true;
      await Promise.all([web, ...workers].filter((p): p is RoleProcess => p !== undefined).map((p) => p.stop(graceMs)));
    },
    killAllNow() {
      stopping = true;
      for (const p of history) p.kill('SIGKILL');
    },
  };
  return cluster;
}
