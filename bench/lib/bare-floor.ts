import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Delivery } from './deliveries.ts';
import { closedLoop, type LoadResult } from './http-load.ts';
import { cpuSnapshot, cpuSplit, type CpuSplit } from './proc.ts';

const SERVER = fileURLToPath(new URL('./bare-server.ts', import.meta.url));

/** Runs bench/lib/bare-server.ts with the gateway's node flags and loads it like the gateway. */
export async function measureBareFloor(opts: {
  nodeArgs: readonly string[];
  concurrency: number;
  seconds: number;
  next: () => Delivery;
}): Promise<{ result: LoadResult; cpu: CpuSplit }> {
  const child = spawn(process.execPath, [...opts.nodeArgs, SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const target = new URL(`http://127.0.0.1:${await portLine(child.stdout!)}`);
    const before = cpuSnapshot(child.pid);
    const result = await closedLoop({ target, concurrency: opts.concurrency, seconds: opts.seconds, next: opts.next });
    return { result, cpu: cpuSplit(before, cpuSnapshot(child.pid)) };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
}

/** The server prints its port alone on a line; node flags such as --trace-gc may print before it. */
async function portLine(stdout: NodeJS.ReadableStream): Promise<string> {
  for await (const line of createInterface({ input: stdout })) {
    if (/^\d+$/.test(line.trim())) return line.trim();
  }
  throw new Error('the HTTP floor server exited before printing its port');
}
