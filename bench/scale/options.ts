import { parseArgs } from 'node:util';
import { benchDatabaseUrl } from '../lib/options.ts';

export interface ScaleOptions {
  readonly databaseUrl: string;
  readonly documents: number;
  readonly tenants: number;
  readonly customers: number;
  /** Worker process counts, one trial each, in this order (repeated `rounds` times). */
  readonly workers: readonly number[];
  readonly rounds: number;
  readonly workerConcurrency: number;
  readonly debounceMs: number;
  readonly concurrency: number;
  readonly maxSeconds: number;
  readonly strict: boolean;
  readonly gatewayRoot: string | undefined;
}

const USAGE = `usage: node bench/scale.ts [options]
  --documents N          shipped invoices in all (default 5000)
  --tenants N            organisations they are spread over, each its own Xero sandbox organisation (default 50)
  --customers N          customers per organisation (default 10)
  --workers LIST         worker process counts, one trial each, in this order (default 1,2)
  --rounds N             repeat the list N times (default 1)
  --worker-concurrency N gateway WORKER_CONCURRENCY of each worker (default 8)
  --debounce-ms N        gateway PUSH_DEBOUNCE_MS (default 1000, the gateway's default)
  --concurrency N        webhooks in flight while ingesting (default 32)
  --database-url URL     PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
                         a scratch database per trial, dropped after it
  --gateway-root DIR     run the gateway processes from DIR (a copy of this repository)
  --max-seconds N        watchdog: abort the whole run after this long (default 900)
  --strict               exit with status 3 when the target is missed
  --help`;

function whole(name: string, value: string, min = 1): number {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`--${name} must be a whole number ≥ ${min} (got "${value}")`);
  return Number(value);
}

export function readScaleOptions(argv: string[]): ScaleOptions {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        documents: { type: 'string', default: '5000' },
        tenants: { type: 'string', default: '50' },
        customers: { type: 'string', default: '10' },
        workers: { type: 'string', default: '1,2' },
        rounds: { type: 'string', default: '1' },
        'worker-concurrency': { type: 'string', default: '8' },
        'debounce-ms': { type: 'string', default: '1000' },
        concurrency: { type: 'string', default: '32' },
        'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
        'gateway-root': { type: 'string' },
        'max-seconds': { type: 'string', default: '900' },
        strict: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return {
      databaseUrl: benchDatabaseUrl(values['database-url']),
      documents: whole('documents', values.documents),
      tenants: whole('tenants', values.tenants),
      customers: whole('customers', values.customers),
      workers: values.workers.split(',').map((w) => whole('workers', w.trim())),
      rounds: whole('rounds', values.rounds),
      workerConcurrency: whole('worker-concurrency', values['worker-concurrency']),
      debounceMs: whole('debounce-ms', values['debounce-ms'], 0),
      concurrency: whole('concurrency', values.concurrency),
      maxSeconds: whole('max-seconds', values['max-seconds']),
      strict: values.strict,
      gatewayRoot: values['gateway-root'],
    };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}
