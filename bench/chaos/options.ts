import { parseArgs } from 'node:util';
import { benchDatabaseUrl } from '../lib/options.ts';

export interface ChaosOptions {
  readonly seed: number;
  readonly documents: number;
  readonly tenants: number;
  readonly short: boolean;
  readonly databaseUrl: string;
  readonly workers: number;
  /** Seconds over which the documents' first versions are sent. */
  readonly loadSeconds: number;
  /** Least time the faults run (they also run until every first version is acknowledged). */
  readonly chaosSeconds: number;
  /** Longest wait for everything to settle once the faults stop. */
  readonly settleSeconds: number;
  readonly rollingRate: number;
  readonly rolling: boolean;
  readonly maxSeconds: number;
  readonly keepDatabase: boolean;
  readonly keepLogs: boolean;
  readonly workerConcurrency: number;
  readonly requestTimeoutMs: number;
}

export const DEFAULT_SEED = 20261121;

const USAGE = `usage: node bench/chaos.ts [options]
  --seed N             seed of every random choice (default ${DEFAULT_SEED}); the same seed replays the same plan
  --documents N        invoices and bills (default 2000; --short 200), with edits, voids and payments for some
  --tenants N          tenants, alternately Xero and QuickBooks (default 20; --short 4)
  --short              a CI-sized run: 200 documents, 4 tenants, shorter phases (about 2 minutes)
  --database-url URL   PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
                       a scratch database is created on it and dropped at the end
  --workers N          worker processes (default 2)
  --load-seconds N     the first versions are sent over this long (default 60; --short 12)
  --chaos-seconds N    faults run at least this long, and until every first version is acknowledged
                       (default 90; --short 30)
  --settle-seconds N   longest wait for everything to settle after the faults (default 600; --short 120)
  --rolling-rate N     webhooks/s during the rolling restarts (default 500)
  --no-rolling         skip the rolling-restart phase
  --worker-concurrency N   WORKER_CONCURRENCY of each worker (default 8)
  --request-timeout-ms N   PROVIDER_REQUEST_TIMEOUT_MS (default 10000)
  --max-seconds N      watchdog: abort after this long (default 1800; --short 290)
  --keep-database      do not drop the scratch database
  --keep-logs          keep the processes' logs even when every target is met
  --help`;

function whole(name: string, value: string, min = 1): number {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`--${name} must be a whole number ≥ ${min} (got "${value}")`);
  return Number(value);
}

export function readChaosOptions(argv: string[]): ChaosOptions {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        seed: { type: 'string', default: String(DEFAULT_SEED) },
        documents: { type: 'string' },
        tenants: { type: 'string' },
        short: { type: 'boolean', default: false },
        'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
        workers: { type: 'string', default: '2' },
        'load-seconds': { type: 'string' },
        'chaos-seconds': { type: 'string' },
        'settle-seconds': { type: 'string' },
        'rolling-rate': { type: 'string', default: '500' },
        'no-rolling': { type: 'boolean', default: false },
        'worker-concurrency': { type: 'string', default: '8' },
        'request-timeout-ms': { type: 'string', default: '10000' },
        'max-seconds': { type: 'string' },
        'keep-database': { type: 'boolean', default: false },
        'keep-logs': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const short = values.short;
    const pick = (name: string, value: string | undefined, full: number, brief: number, min = 1) => whole(name, value ?? String(short ? brief : full), min);
    return {
      seed: whole('seed', values.seed, 0),
      documents: pick('documents', values.documents, 2000, 200),
      tenants: pick('tenants', values.tenants, 20, 4, 2),
      short,
      databaseUrl: benchDatabaseUrl(values['database-url']),
      workers: whole('workers', values.workers),
      loadSeconds: pick('load-seconds', values['load-seconds'], 60, 12),
      chaosSeconds: pick('chaos-seconds', values['chaos-seconds'], 90, 30),
      settleSeconds: pick('settle-seconds', values['settle-seconds'], 600, 120),
      rollingRate: whole('rolling-rate', values['rolling-rate']),
      rolling: !values['no-rolling'],
      maxSeconds: pick('max-seconds', values['max-seconds'], 1800, 290),
      keepDatabase: values['keep-database'],
      keepLogs: values['keep-logs'],
      workerConcurrency: whole('worker-concurrency', values['worker-concurrency']),
      requestTimeoutMs: whole('request-timeout-ms', values['request-timeout-ms'], 1000),
    };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}
