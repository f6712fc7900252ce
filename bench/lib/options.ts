import { parseArgs } from 'node:util';

export interface BenchOptions {
  readonly databaseUrl: string;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly levels: readonly number[];
  readonly rate: number;
  readonly tenants: number;
  readonly poolSize: number;
  readonly rawClients: number;
  readonly maxSeconds: number;
  readonly keepDatabase: boolean;
  /** ANALYZE before each phase, as autovacuum does on a live database. */
  readonly analyze: boolean;
  readonly strict: boolean;
  /** Where `src/main.ts` is run from: a patched copy can be benchmarked against the same load. */
  readonly gatewayRoot: string | undefined;
  readonly gatewayNodeArgs: readonly string[];
  /** Extra environment for the gateway, e.g. INGEST_MAX_IN_FLIGHT=4, to compare settings. */
  readonly gatewayEnv: Readonly<Record<string, string>>;
  readonly showGatewayLog: boolean;
}

const USAGE = `usage: node bench/ingress.ts [options]
  --database-url URL   PostgreSQL server to use (default postgres://postgres@127.0.0.1:5432/postgres);
                       a fresh database is created on it and dropped at the end
  --seconds N          duration of each measured run (default 5)
  --warmup N           warm-up seconds before the closed-loop levels (default 2)
  --levels LIST        closed-loop concurrency levels (default 1,4,16,32,64)
  --rate N             open-loop request rate per second (default 1000)
  --tenants N          tenants the deliveries are spread over (default 50)
  --pool-size N        gateway DATABASE_POOL_SIZE (default 12)
  --raw-clients N      clients for the raw INSERT and add_job baselines (default 32)
  --max-seconds N      abort the whole run after this long (default 170)
  --keep-database      do not drop the bench database at the end
  --no-analyze         skip the ANALYZE before each phase (autovacuum's job on a live database)
  --strict             exit with status 3 when a performance target is missed
  --gateway-root DIR   run the gateway from DIR (a copy of this repo) instead of this checkout
  --show-gateway-log   print every line the gateway logged (default: the first 5)
  --gateway-node-args  node flags for the gateway, space-separated (default: those of npm run start:web)
  --gateway-env LIST   extra gateway environment, space-separated NAME=value pairs (e.g. "WEB_CONCURRENCY=1")
  --help`;

function wholeNumber(name: string, value: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`--${name} must be a whole number ≥ ${min} (got "${value}")`);
  return Number(value);
}
const positiveInt = (name: string, value: string) => wholeNumber(name, value, 1);

/** --database-url, checked: a postgres:// URL on this machine, the only place a bench may write. */
export function benchDatabaseUrl(url: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('--database-url must be a postgres:// URL');
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname)) throw new Error('--database-url must point at 127.0.0.1 (or localhost)');
  return url;
}

function envPairs(list: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of list.split(/\s+/).filter(Boolean)) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) throw new Error(`--gateway-env takes NAME=value pairs (got "${pair}")`);
    env[match[1]!] = match[2]!;
  }
  return env;
}

/** Reads the command line; prints usage and exits on --help or a bad option. */
export function readOptions(argv: string[]): BenchOptions {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
        seconds: { type: 'string', default: '5' },
        warmup: { type: 'string', default: '2' },
        levels: { type: 'string', default: '1,4,16,32,64' },
        rate: { type: 'string', default: '1000' },
        tenants: { type: 'string', default: '50' },
        'pool-size': { type: 'string', default: '12' },
        'raw-clients': { type: 'string', default: '32' },
        'max-seconds': { type: 'string', default: '170' },
        'keep-database': { type: 'boolean', default: false },
        'no-analyze': { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        'gateway-root': { type: 'string' },
        // The same V8 flags as `npm run start:web` (package.json), so the bench measures production.
        'gateway-node-args': { type: 'string', default: '--max-semi-space-size=4 --max-old-space-size=192' },
        'gateway-env': { type: 'string', default: '' },
        'show-gateway-log': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return {
      databaseUrl: benchDatabaseUrl(values['database-url']),
      seconds: positiveInt('seconds', values.seconds),
      warmupSeconds: wholeNumber('warmup', values.warmup, 0),
      levels: values.levels.split(',').map((s) => positiveInt('levels', s.trim())),
      rate: positiveInt('rate', values.rate),
      tenants: positiveInt('tenants', values.tenants),
      poolSize: positiveInt('pool-size', values['pool-size']),
      rawClients: positiveInt('raw-clients', values['raw-clients']),
      maxSeconds: positiveInt('max-seconds', values['max-seconds']),
      keepDatabase: values['keep-database'],
      analyze: !values['no-analyze'],
      strict: values.strict,
      gatewayRoot: values['gateway-root'],
      showGatewayLog: values['show-gateway-log'],
      gatewayNodeArgs: values['gateway-node-args'].split(/\s+/).filter(Boolean),
      gatewayEnv: envPairs(values['gateway-env']),
    };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}
