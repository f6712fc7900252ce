import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connectedPorts, listeningPort } from './proc.ts';
import { sleep } from './stats.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * One `node src/main.ts <role>` process with an environment of the caller's choosing (unlike
 * gateway-process.ts, which makes up its own secrets and always runs `web` on PORT=0): for runs
 * that start web and worker processes of one gateway on one database and kill and restart them.
 * Its output goes to a log file; warn-and-above lines are counted and the first ones kept.
 */
export type GatewayRole = 'web' | 'worker' | 'all';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RoleProcess {
  readonly role: GatewayRole;
  readonly name: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly exited: Promise<ExitInfo>;
  /** Undefined while it runs. */
  exitInfo(): ExitInfo | undefined;
  /** Sends a signal (no-op once it has exited). */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how it exited. */
  stop(graceMs?: number): Promise<ExitInfo>;
  /** Pino lines at warn and above: count by message, and the first ones. */
  readonly problems: { count: number; byMessage: Map<string, number>; first: string[] };
}

export interface SpawnRoleOptions {
  readonly role: GatewayRole;
  /** A label for logs and reports, e.g. "worker-2". */
  readonly name: string;
  /** The whole environment of the child (PATH is added when missing). */
  readonly env: Record<string, string>;
  readonly logFile: string;
  readonly root?: string;
  readonly nodeArgs?: readonly string[];
}

export function spawnRole(opts: SpawnRoleOptions): RoleProcess {
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), 'src/main.ts', opts.role], {
    cwd: opts.root ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${opts.name}`);
  const log: WriteStream = createWriteStream(opts.logFile, { flags: 'a' });
  log.write(`--- ${new Date().toISOString()} ${opts.name} (${opts.role}) pid ${pid}\n`);
  const problems = { count: 0, byMessage: new Map<string, number>(), first: [] as string[] };
  let partial = '';
  const collect = (chunk: Buffer) => {
    log.write(chunk);
    const text = partial + chunk.toString();
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      let level = 50;
      let message = line.slice(0, 200);
      try {
        const parsed = JSON.parse(line) as { level?: number; msg?: string };
        level = parsed.level ?? 30;
        message = parsed.msg ?? message;
      } catch {
        // Not pino's JSON (a crash trace): counted as an error.
      }
      if (level < 40) continue;
      problems.count++;
      problems.byMessage.set(message, (problems.byMessage.get(message) ?? 0) + 1);
      if (problems.first.length < 20) problems.first.push(`${opts.name}: ${line.slice(0, 400)}`);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let info: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) =>
    child.once('exit', (code, signal) => {
      info = { code, signal };
      log.end(`--- ${new Date().toISOString()} ${opts.name} exited: ${signal ?? `code ${code}`}\n`);
      resolve(info);
    }),
  );
  const kill = (signal: NodeJS.Signals) => {
    if (info === undefined) child.kill(signal);
  };
  return {
    role: opts.role,
    name: opts.name,
    pid,
    startedAt: performance.now(),
    exited,
    exitInfo: () => info,
    kill,
    async stop(graceMs = 30_000) {
      if (info) return info;
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
    problems,
  };
}

/** Resolves once the web process answers /readyz 200 on `port` from its own listening socket. */
export async function waitForWeb(proc: RoleProcess, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (proc.exitInfo()) throw new Error(`${proc.name} exited while starting (${JSON.stringify(proc.exitInfo())}): ${proc.problems.first.join('\n')}`);
    if (listeningPort(proc.pid) === port && (await readyz(port)) === 200) return;
    await sleep(50);
  }
  throw new Error(`${proc.name} was not ready within ${timeoutMs} ms: ${proc.problems.first.join('\n')}`);
}

function readyz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/readyz', timeout: 2_000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}


/**
 * Resolves once the worker process has its graphile-worker LISTEN connection open on `database`
 * (the worker logs nothing at LOG_LEVEL=warn): the process's own PostgreSQL connections, matched
 * to pg_stat_activity by client port.
 */
export async function waitForWorker(proc: RoleProcess, admin: pg.Client, database: string, pgPort: number, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (proc.exitInfo()) throw new Error(`${proc.name} exited while starting (${JSON.stringify(proc.exitInfo())}): ${proc.problems.first.join('\n')}`);
    const ports = [...connectedPorts(proc.pid, pgPort)];
    if (ports.length > 0) {
      const { rows } = await admin.query<{ n: string }>(
        `select count(*) as n from pg_stat_activity where datname = $1 and client_port = any($2::int[]) and query ilike 'listen%'`,
        [database, ports],
      );
      if (Number(rows[0]?.n ?? 0) > 0) return;
    }
    await sleep(100);
  }
  throw new Error(`${proc.name} did not start listening for jobs within ${timeoutMs} ms: ${proc.problems.first.join('\n')}`);
}
