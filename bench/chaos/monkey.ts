import type pg from 'pg';
import { sleep } from '../lib/stats.ts';
import type { Cluster } from './cluster.ts';
import type { Rng } from './rng.ts';

/**
 * The process and database faults of the chaos phase, on seeded schedules: SIGKILL a random
 * worker every few seconds and start it again; SIGKILL the web process now and then and start it
 * again on the same port; terminate a random subset of the gateway's PostgreSQL backends of the
 * bench database. The bench's own connections (application_name ledgerport-chaos…) are spared,
 * so what it observes is not the thing under test.
 */
export interface MonkeySchedule {
  /** Seconds between worker kills, [min, max). */
  readonly workerKillEvery: readonly [number, number];
  readonly webKillEvery: readonly [number, number];
  readonly pgTerminateEvery: readonly [number, number];
  /** Share of the gateway's backends terminated each time (at least one). */
  readonly pgTerminateShare: number;
}

export interface MonkeyStats {
  workerKills: number;
  webKills: number;
  pgTerminations: number;
  pgTerminateRounds: number;
  restarts: number;
  /** performance.now() of the last fault it caused. */
  lastFaultAt: number | undefined;
  errors: string[];
}

export function startMonkey(opts: {
  cluster: Cluster;
  admin: pg.Client;
  database: string;
  schedule: MonkeySchedule;
  rng: { workers: Rng; web: Rng; pg: Rng };
  progress: (message: string) => void;
}) {
  const { cluster, schedule } = opts;
  const stats: MonkeyStats = { workerKills: 0, webKills: 0, pgTerminations: 0, pgTerminateRounds: 0, restarts: 0, lastFaultAt: undefined, errors: [] };
  let stopped = false;
  const wake: (() => void)[] = [];
  /** Sleeps, but wakes up early when the monkey is stopped. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const waker = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        wake.splice(wake.indexOf(waker), 1);
        resolve();
      }, ms);
      wake.push(waker);
    });
  const fault = () => {
    stats.lastFaultAt = performance.now();
  };
  const guard = (what: string) => (error: unknown) => {
    stats.errors.push(`${what}: ${(error as Error).message}`);
    opts.progress(`monkey: ${what} failed: ${(error as Error).message}`);
  };

  const workerLoop = async () => {
    const rng = opts.rng.workers;
    while (!stopped) {
      await pause(rng.between(...schedule.workerKillEvery) * 1000);
      if (stopped) break;
      const i = rng.int(0, cluster.workerCount - 1);
      const proc = cluster.worker(i);
      if (!proc || proc.exitInfo()) continue;
      await cluster.kill(proc);
      fault();
      stats.workerKills++;
      await sleep(rng.between(0.2, 1.0) * 1000);
      // Not waited for: the next kill may find it still starting, as in a crash loop.
      await cluster.startWorker(i, false);
      stats.restarts++;
    }
  };

  const webLoop = async () => {
    const rng = opts.rng.web;
    while (!stopped) {
      await pause(rng.between(...schedule.webKillEvery) * 1000);
      if (stopped) break;
      const proc = cluster.web();
      if (!proc || proc.exitInfo()) continue;
      await cluster.kill(proc);
      fault();
      stats.webKills++;
      await sleep(rng.between(0.3, 1.5) * 1000);
      await cluster.startWeb();
      stats.restarts++;
    }
  };

  const pgLoop = async () => {
    const rng = opts.rng.pg;
    while (!stopped) {
      await pause(rng.between(...schedule.pgTerminateEvery) * 1000);
      if (stopped) break;
      const { rows } = await opts.admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid() and coalesce(application_name, '') not like 'ledgerport-chaos%' order by pid`,
        [opts.database],
      );
      if (rows.length === 0) continue;
      let chosen = rows.filter(() => rng.chance(schedule.pgTerminateShare));
      if (chosen.length === 0) chosen = [rng.pick(rows)];
      const { rows: done } = await opts.admin.query<{ ok: boolean }>('select pg_terminate_backend(pid) as ok from unnest($1::int[]) as pid', [chosen.map((r) => r.pid)]);
      fault();
      stats.pgTerminateRounds++;
      stats.pgTerminations += done.filter((d) => d.ok).length;
    }
  };

  const loops = [workerLoop().catch(guard('worker kill')), webLoop().catch(guard('web kill')), pgLoop().catch(guard('backend termination'))];

  return {
    stats,
    /** Stops scheduling faults, waits for the loops, and makes sure every process runs again. */
    async stop() {
      stopped = true;
      for (const w of wake.splice(0)) w();
      await Promise.all(loops);
      await cluster.ensureRunning();
    },
  };
}
