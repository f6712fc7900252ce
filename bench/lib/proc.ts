import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Linux /proc readers: memory and CPU of the gateway and PostgreSQL, and the gateway's port. */

const CLOCK_TICKS_PER_SECOND = 100;

/** A `Vm*` line of /proc/<pid>/status in kB, or undefined once the process is gone. */
export function readVmKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** [comm, utime + stime in seconds] of one process. */
function readStat(pid: string): [string, number] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // Fields 14 and 15 of stat(5); fields[0] here is field 3.
    return [comm, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND];
  } catch {
    return undefined;
  }
}

export interface CpuSnapshot {
  readonly at: number;
  readonly bench: number;
  readonly gateway: number;
  readonly postgres: number;
  readonly busy: number;
}

function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds used so far by this process, the gateway, all `postgres` processes and the machine. */
export function cpuSnapshot(gatewayPid: number | undefined): CpuSnapshot {
  let postgres = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat && stat[0] === 'postgres') postgres += stat[1];
  }
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    bench: (usage.user + usage.system) / 1e6,
    gateway: gatewayPid === undefined ? 0 : (readStat(String(gatewayPid))?.[1] ?? 0),
    postgres,
    busy: machineBusySeconds(),
  };
}

export interface CpuSplit {
  /** Each in cores (1.0 = one core fully busy) over the interval. */
  readonly bench: number;
  readonly gateway: number;
  readonly postgres: number;
  readonly other: number;
  readonly busy: number;
}

export function cpuSplit(from: CpuSnapshot, to: CpuSnapshot): CpuSplit {
  const seconds = (to.at - from.at) / 1000;
  const bench = (to.bench - from.bench) / seconds;
  const gateway = (to.gateway - from.gateway) / seconds;
  // Backends that exit during the interval take their CPU time with them; ours stay connected.
  const postgres = Math.max(0, (to.postgres - from.postgres) / seconds);
  const busy = (to.busy - from.busy) / seconds;
  return { bench, gateway, postgres, other: Math.max(0, busy - bench - gateway - postgres), busy };
}

/** The socket inodes of a process's open descriptors; undefined when the process is gone. */
function socketInodes(pid: number): Set<string> | undefined {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
        if (match?.[1]) inodes.add(match[1]);
      } catch {
        // The descriptor closed while we looked.
      }
    }
  } catch {
    return undefined;
  }
  return inodes;
}

/** The machine's TCP sockets (IPv4 and IPv6) owned by one of `inodes`: state (hex), local and remote port. */
function* tcpSockets(inodes: Set<string>): Generator<{ state: string; localPort: number; remotePort: number }> {
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const row of text.split('\n').slice(1)) {
      // cols: sl local_address rem_address st ... inode (index 9); addresses are hex address:port.
      const cols = row.trim().split(/\s+/);
      if (!cols[9] || !inodes.has(cols[9])) continue;
      const port = (address: string | undefined) => parseInt(address?.split(':').at(-1) ?? '', 16);
      yield { state: cols[3] ?? '', localPort: port(cols[1]), remotePort: port(cols[2]) };
    }
  }
}

/** The TCP port a process listens on, found through its socket inodes (works with PORT=0 and quiet logs). */
export function listeningPort(pid: number): number | undefined {
  const inodes = socketInodes(pid);
  if (!inodes) return undefined;
  // st 0A is LISTEN.
  for (const socket of tcpSockets(inodes)) if (socket.state === '0A') return socket.localPort;
  return undefined;
}

/** Local ports of the process's established TCP connections to `remotePort` (found through its socket inodes). */
export function connectedPorts(pid: number, remotePort: number): Set<number> {
  const ports = new Set<number>();
  const inodes = socketInodes(pid);
  if (!inodes) return ports;
  // st 01 is ESTABLISHED.
  for (const socket of tcpSockets(inodes)) if (socket.state === '01' && socket.remotePort === remotePort) ports.add(socket.localPort);
  return ports;
}

/** CPU seconds (user + system) one process has used so far, or undefined once it is gone. */
export function cpuSecondsOf(pid: number): number | undefined {
  return readStat(String(pid))?.[1];
}
