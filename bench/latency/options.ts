import { parseArgs } from 'node:util';
import { benchDatabaseUrl } from '../lib/options.ts';
import { loadTenants, parseLoadSpec, type LoadSpec } from './load.ts';

export interface LatencyOptions {
  readonly databaseUrl: string;
  /** One phase each: webhooks per second over organisations of the phase's own. */
  readonly rates: readonly LoadSpec[];
  readonly seconds: number;
  /** PUSH_DEBOUNCE_MS for the gateway; undefined: the gateway's own default. */
  readonly debounceMs: number | undefined;
  readonly customers: number;
  readonly workerConcurrency: number;
  readonly maxSeconds: number;
  readonly keepDatabase: boolean;
  readonly strict: boolean;
  readonly gatewayRoot: string | undefined;
  /** Extra environment for the gateway processes, e.g. "PUSH_DEBOUNCE_MS=1000". */
  readonly gatewayEnv: Readonly<Record<string, string>>;
}

const USAGE = `usage: node bench/latency.ts [options]
  --rates LIST           one phase each, each with organisations of its own (default 1,10,10x50):
                         RATE: webhooks per second to one Xero organisation;
                         RATExORGS: RATE per second in total, round-robin over ORGS organisations
  --seconds N            length of each phase (default 60)
  --debounce-ms N        gateway PUSH_DEBOUNCE_MS (default: not set, so the gateway's own default)
  --customers N          customers the invoices are spread over; their contacts are created before measuring (default 10)
  --worker-concurrency N gateway WORKER_CONCURRENCY (default 8)
  --database-url URL     PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
                         a scratch database is created on it and dropped at the end
  --gateway-root DIR     run the gateway processes from DIR (a copy of this repository)
  --gateway-env "K=V …"  extra environment for the gateway processes
  --max-seconds N        watchdog: abort the run after this long (default 600)
  --keep-database        do not drop the scratch database
  --strict               exit with status 3 when a target is missed
  --help`;

function whole(name: string, value: string, min = 1): number {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`--${name} must be a whole number ≥ ${min} (got "${value}")`);
  return Number(value);
}

export function readLatencyOptions(argv: string[]): LatencyOptions {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        rates: { type: 'string', default: '1,10,10x50' },
        seconds: { type: 'string', default: '60' },
        'debounce-ms': { type: 'string' },
        customers: { type: 'string', default: '10' },
        'worker-concurrency': { type: 'string', default: '8' },
        'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
        'gateway-root': { type: 'string' },
        'gateway-env': { type: 'string', default: '' },
        'max-seconds': { type: 'string', default: '600' },
        'keep-database': { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const rates = values.rates.split(',').map(parseLoadSpec);
    const tenants = rates.map((r) => loadTenants(r)[0]);
    const twice = rates.find((_, i) => tenants.indexOf(tenants[i]) !== i);
    if (twice) throw new Error(`--rates names ${twice.text} twice (its organisations would be shared)`);
    const gatewayEnv: Record<string, string> = {};
    for (const pair of values['gateway-env'].split(/\s+/).filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq < 1) throw new Error(`--gateway-env takes K=V pairs (got "${pair}")`);
      gatewayEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return {
      databaseUrl: benchDatabaseUrl(values['database-url']),
      rates,
      seconds: whole('seconds', values.seconds),
      debounceMs: values['debounce-ms'] === undefined ? undefined : whole('debounce-ms', values['debounce-ms'], 0),
      customers: whole('customers', values.customers),
      workerConcurrency: whole('worker-concurrency', values['worker-concurrency']),
      maxSeconds: whole('max-seconds', values['max-seconds']),
      keepDatabase: values['keep-database'],
      strict: values.strict,
      gatewayRoot: values['gateway-root'],
      gatewayEnv,
    };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}
