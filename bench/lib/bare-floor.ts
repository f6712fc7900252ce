import { spawn } from 'node:child_process';
import { once } from 'node:events';
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
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    const target = new URL(`http://127.0.0.1:${chunk.toString().trim()}`);
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
