import type pg from 'pg';
import { cpuSecondsOf, cpuSnapshot } from '../lib/proc.ts';
import { sleep, within } from '../lib/stats.ts';
import type { Cluster } from './cluster.ts';
import type { ExitInfo } from '../lib/role-process.ts';
import { createPlatform, type Platform } from './platform.ts';
import type { Rng } from './rng.ts';

/**
 * Part 2: a rolling restart under load. Webhooks arrive open loop at `rate`/s (each delivery
 * retried until acknowledged) while the web process and then each worker in turn get SIGTERM,
 * exit gracefully, and are started again (the next one only once the last is back). The
 * documents are for tenants with no connection, so each is routed to `held` and nothing reaches
 * a provider: what is measured is that no acknowledged delivery and no routing job is lost.
 */
export interface RollingResult {
  readonly seconds: number;
  readonly scheduled: number;
  readonly acknowledged: number;
  /** Acknowledged deliveries per second over the phase (first delivery due → last acknowledged). */
  readonly achievedRate: number;
  readonly offeredRate: number;
  readonly lost: { id: string; why: string }[];
  /** Documents still `received` (their routing job lost or late) once the phase settled. */
  readonly unrouted: number;
  readonly restarts: { name: string; exit: ExitInfo; downMs: number }[];
  readonly platform: Platform;
  readonly tenants: string[];
  /** Cores used on average while webhooks were being sent, by process kind. */
  readonly cpu: { web: number; workers: number; postgres: number; bench: number; other: number };
}

export async function runRollingRestarts(opts: {
  cluster: Cluster;
  db: pg.Client;
  opsSecret: string;
  rate: number;
  tenants: number;
  rng: Rng;
  /** Seconds of load before the first restart and after the last. */
  marginSeconds: number;
  progress: (message: string) => void;
}): Promise<RollingResult> {
  const { cluster } = opts;
  // As a platform's sender pool would: a bounded number of requests at once to one endpoint; the rest wait their turn.
  const platform = createPlatform({ baseUrl: cluster.url, opsSecret: opts.opsSecret, rng: opts.rng, timeoutMs: 20_000, maxInFlight: 64 });
  const tenants = Array.from({ length: opts.tenants }, (_, i) => `org_roll_${String(i).padStart(2, '0')}`);
  let scheduled = 0;
  let generating = true;
  const started = performance.now();
  const generator = (async () => {
    while (generating) {
      const due = Math.floor(((performance.now() - started) / 1000) * opts.rate);
      while (scheduled < due) {
        const n = scheduled++;
        const tenant = tenants[n % tenants.length]!;
        void platform.deliver({
          id: `msg_roll_${n}`,
          event: {
            type: 'sales_order.shipped',
            tenant_id: tenant,
            occurred_at: new Date().toISOString(),
            data: {
              invoice: {
                id: `inv_roll_${n}`,
                version: 1,
                number: `INV-R${100000 + n}`,
                reference: `SO-R${n}`,
                issue_date: '2026-11-30',
                due_date: '2026-12-30',
                currency: 'GBP',
                amounts_are: 'exclusive',
                customer: { id: `cus_roll_${n % 50}`, name: `Rolling Customer ${n % 50} Ltd`, email: `ap${n % 50}@rolling.test` },
                lines: [{ description: 'Widget', quantity: '2', unit_price: '10.00', tax_rate: '20', item_code: 'W-1', category: 'sales' }],
              },
            },
          },
          meta: { phase: 'rolling', tenantId: tenant, kind: 'sales_invoice', sourceId: `inv_roll_${n}`, version: 1 },
        });
      }
      await sleep(5);
    }
  })();

  // CPU by process kind: the gateway processes' own counters, sampled (a stopped one keeps its last reading).
  const used = new Map<number, { role: string; first: number; last: number }>();
  const sample = () => {
    for (const p of cluster.history) {
      if (p.exitInfo()) continue;
      const cpu = cpuSecondsOf(p.pid);
      if (cpu === undefined) continue;
      const seen = used.get(p.pid);
      if (seen) seen.last = cpu;
      // A process started during the phase used its CPU in the phase; one running before, from now on.
      else used.set(p.pid, { role: p.role, first: p.startedAt >= started ? 0 : cpu, last: cpu });
    }
  };
  sample();
  const sampler = setInterval(sample, 200);
  const cpuFrom = cpuSnapshot(undefined);
  const restarts: RollingResult['restarts'] = [];
  await sleep(opts.marginSeconds * 1000);
  const order: { name: string; get: () => ReturnType<Cluster['web']>; start: () => Promise<unknown> }[] = [
    { name: 'web', get: () => cluster.web(), start: () => cluster.startWeb() },
    ...Array.from({ length: cluster.workerCount }, (_, i) => ({ name: `worker-${i + 1}`, get: () => cluster.worker(i), start: () => cluster.startWorker(i) })),
  ];
  for (const step of order) {
    const proc = step.get();
    if (!proc) continue;
    const down = performance.now();
    const exit = await cluster.terminate(proc, 30_000);
    await step.start();
    const downMs = performance.now() - down;
    restarts.push({ name: step.name, exit, downMs });
    opts.progress(`rolling: ${step.name} stopped (${exit.signal ?? `exit code ${exit.code}`}) and back in ${(downMs / 1000).toFixed(1)} s; ${platform.acks.size} acknowledged so far`);
    await sleep(1_000);
  }
  await sleep(opts.marginSeconds * 1000);
  generating = false;
  await generator;
  const generatedFor = (performance.now() - started) / 1000;
  sample();
  clearInterval(sampler);
  const cpuTo = cpuSnapshot(undefined);
  const cores = (seconds: number) => seconds / generatedFor;
  const byRole = (role: string) => [...used.values()].filter((u) => u.role === role).reduce((sum, u) => sum + (u.last - u.first), 0);
  const cpu = {
    web: cores(byRole('web')),
    workers: cores(byRole('worker')),
    postgres: cores(Math.max(0, cpuTo.postgres - cpuFrom.postgres)),
    bench: cores(cpuTo.bench - cpuFrom.bench),
    other: 0,
  };
  cpu.other = Math.max(0, cores(cpuTo.busy - cpuFrom.busy) - cpu.web - cpu.workers - cpu.postgres - cpu.bench);
  // Every delivery is retried until acknowledged; give the tail a minute.
  await within(platform.idle(), 60_000);
  platform.stop();
  const acks = [...platform.acks.values()];
  const lastAck = acks.reduce((last, a) => Math.max(last, a.ackedAt), started);
  const seconds = (lastAck - started) / 1000;

  // Routing: every document leaves `received` for `held` (no connection) in its job.
  let unrouted = 0;
  for (let i = 0; i < 60; i++) {
    const { rows } = await opts.db.query<{ n: string }>("select count(*) as n from documents where tenant_id = any($1) and status = 'received'", [tenants]);
    unrouted = Number(rows[0]?.n ?? 0);
    if (unrouted === 0) break;
    await sleep(1_000);
  }
  const { rows: stored } = await opts.db.query<{ delivery_id: string; source_id: string | null }>(
    `select e.delivery_id, d.source_id from inbound_events e left join documents d on d.id = e.document_id where e.source = 'ops' and e.tenant_id = any($1)`,
    [tenants],
  );
  const byId = new Map(stored.map((r) => [r.delivery_id, r.source_id]));
  const lost = acks.filter((a) => byId.get(a.id) !== a.meta.sourceId).map((a) => ({ id: a.id, why: byId.has(a.id) ? 'inbound event without its document' : `answered ${a.status} but not stored` }));
  return {
    seconds,
    scheduled,
    acknowledged: acks.length,
    achievedRate: acks.length / seconds,
    offeredRate: scheduled / generatedFor,
    lost,
    unrouted,
    restarts,
    platform,
    tenants,
    cpu,
  };
}
