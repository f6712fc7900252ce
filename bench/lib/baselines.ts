import pg from 'pg';
import { runMigrations } from 'graphile-worker';
import { cpuSnapshot, cpuSplit, type CpuSplit } from './proc.ts';
import { summarize, type LatencySummary } from './stats.ts';

export interface RateResult {
  readonly clients: number;
  readonly count: number;
  readonly perSecond: number;
  readonly latency: LatencySummary;
  readonly errors: number;
  /** Taken before the clients disconnect, so their backends' CPU time is still counted. */
  readonly cpu: CpuSplit;
}

interface Statement {
  readonly name: string;
  readonly text: string;
  readonly values: (n: number) => unknown[];
}

/** `clients` connections each run one autocommit statement after another for `seconds`. */
async function measureStatementRate(url: string, clients: number, seconds: number, statement: Statement): Promise<RateResult> {
  const conns = await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = new pg.Client({ connectionString: url, application_name: 'ledgerport-bench' });
      // A dropped connection (an abort drops the database under them) also rejects the query in
      // flight, which is counted below; without a listener the event would crash the report.
      client.on('error', () => undefined);
      await client.connect();
      return client;
    }),
  );
  const latencies: number[] = [];
  let count = 0;
  let errors = 0;
  let seq = 0;
  try {
    const before = cpuSnapshot(undefined);
    const started = performance.now();
    const deadline = started + seconds * 1000;
    await Promise.all(
      conns.map(async (client) => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          try {
            await client.query({ name: statement.name, text: statement.text, values: statement.values(seq++) });
            latencies.push(performance.now() - t0);
            count++;
          } catch {
            errors++;
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const cpu = cpuSplit(before, cpuSnapshot(undefined));
    return { clients, count, perSecond: count / elapsed, latency: summarize(latencies), errors, cpu };
  } finally {
    await Promise.all(conns.map((c) => c.end()));
  }
}

/** Raw durable single-row INSERT commits: the ceiling any durable ingress on this server lives under. */
export async function measureRawInserts(url: string, clients: number, seconds: number): Promise<RateResult> {
  const setup = new pg.Client({ connectionString: url, application_name: 'ledgerport-bench' });
  await setup.connect();
  try {
    await setup.query('create table bench_raw (id bigint generated always as identity primary key, payload jsonb not null)');
  } finally {
    await setup.end();
  }
  return measureStatementRate(url, clients, seconds, {
    name: 'bench_raw_insert',
    text: 'insert into bench_raw (payload) values ($1)',
    values: (n) => [JSON.stringify({ n, tenant_id: `org_${n % 50}`, type: 'bench' })],
  });
}

/** One graphile_worker.add_job per transaction (each commit also sends a NOTIFY). */
export async function measureAddJob(url: string, clients: number, seconds: number): Promise<RateResult> {
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'ledgerport-bench' });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    await runMigrations({ pgPool: pool });
  } finally {
    await pool.end();
  }
  const result = await measureStatementRate(url, clients, seconds, {
    name: 'bench_add_job',
    text: `select graphile_worker.add_job('bench_noop', json_build_object('n', $1::int))`,
    values: (n) => [n],
  });
  // The gateway runs the web role only, but leave its queue as the gateway would find it.
  const cleanup = new pg.Client({ connectionString: url, application_name: 'ledgerport-bench' });
  await cleanup.connect();
  try {
    await cleanup.query(`delete from graphile_worker._private_jobs j using graphile_worker._private_tasks t
      where j.task_id = t.id and t.identifier = 'bench_noop'`);
  } catch (error) {
    // Internal table names differ between graphile-worker versions; the leftover jobs are harmless.
    process.stderr.write(`note: could not delete the add_job baseline's jobs (${(error as Error).message}); they stay queued\n`);
  } finally {
    await cleanup.end();
  }
  return result;
}
