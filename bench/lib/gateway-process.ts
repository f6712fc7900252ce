import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { listeningPort, readVmKb } from './proc.ts';
import { sleep } from './stats.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface GatewayProcess {
  readonly pid: number;
  readonly url: string;
  readonly opsSecret: string;
  /** Largest VmRSS seen by the sampler, in kB. */
  maxSampledRssKb(): number;
  /** VmHWM (the kernel's peak RSS) right now, in kB. */
  peakRssKb(): number | undefined;
  /** Log lines the gateway printed (warn and above at LOG_LEVEL=warn). */
  readonly logLines: string[];
  /** SIGTERM, then waits for a graceful exit (SIGKILL after `graceMs`). Resolves to the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts `node src/main.ts web` against `databaseUrl` with production settings and bench secrets. */
export async function startGatewayProcess(opts: {
  databaseUrl: string;
  poolSize: number;
  root?: string | undefined;
  nodeArgs?: readonly string[];
  env?: Record<string, string>;
}): Promise<GatewayProcess> {
  const opsSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), 'src/main.ts', 'web'], {
    cwd: opts.root ?? REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: opts.databaseUrl,
      DATABASE_POOL_SIZE: String(opts.poolSize),
      OPS_WEBHOOK_SECRETS: opsSecret,
      AUTH_JWT_SECRET: randomBytes(32).toString('base64url'),
      TOKEN_ENCRYPTION_KEYS: randomBytes(32).toString('base64url'),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the gateway');
  const logLines: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim() && logLines.length < 10_000) logLines.push(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      resolve(exitCode);
    }),
  );

  let maxRss = 0;
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, readVmKb(pid, 'VmRSS') ?? 0);
  }, 100);
  sampler.unref();

  const stop = async (graceMs = 30_000) => {
    clearInterval(sampler);
    if (exitCode !== undefined) return exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };

  try {
    const url = await waitUntilReady(pid, () => exitCode !== undefined, logLines);
    return { pid, url, opsSecret, logLines, maxSampledRssKb: () => maxRss, peakRssKb: () => readVmKb(pid, 'VmHWM'), stop };
  } catch (error) {
    await stop(5_000);
    throw error;
  }
}

/**
 * LOG_LEVEL=warn hides the "ledgerport listening" line, so the port (PORT=0) is read from the
 * process's listening socket, then /readyz must answer 200.
 */
async function waitUntilReady(pid: number, hasExited: () => boolean, logLines: string[]): Promise<string> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    if (hasExited()) throw new Error(`gateway exited during start:\n${logLines.join('\n')}`);
    const port = listeningPort(pid);
    if (port && (await readyz(port)) === 200) return `http://127.0.0.1:${port}`;
    await sleep(100);
  }
  throw new Error(`gateway was not ready within 30 s:\n${logLines.join('\n')}`);
}

function readyz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/readyz', timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** A short hash of the gateway's src/ and sql/, so a report names the code it measured (others edit src/ meanwhile). */
export function sourceFingerprint(root = REPO_ROOT): string {
  const hash = createHash('sha256');
  for (const dir of ['src', 'sql']) {
    const files = readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' }).sort();
    for (const file of files) {
      const full = path.join(root, dir, file);
      if (!/\.(ts|sql)$/.test(file)) continue;
      hash.update(`${dir}/${file}\0`).update(readFileSync(full)).update('\0');
    }
  }
  return hash.digest('hex').slice(0, 12);
}
