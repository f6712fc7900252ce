import { parseArgs } from 'node:util';
import { providerOption } from '../../src/demo/args.ts';
import type { ProviderName } from '../../src/demo/provider.ts';
import { benchDatabaseUrl } from '../lib/options.ts';

export interface DrainOptions {
  readonly provider: ProviderName;
  readonly documents: number;
  readonly databaseUrl: string;
  readonly concurrency: number;
  readonly customers: number;
  readonly workerConcurrency: number;
  readonly debounceMs: number;
  readonly maxSeconds: number;
  readonly keepDatabase: boolean;
  readonly strict: boolean;
  /** Writes one JSON line per sandbox call of the organisation (method, path, query, status, sizes). */
  readonly dumpCalls: string | undefined;
  /** `month-end`: after the invoices, edits, payments and credit notes for them (bench/drain/month-end.ts). */
  readonly mix: 'invoices' | 'month-end';
  /**
   * Ingest every webhook first with the web role alone (no worker), then start one worker as its
   * own OS process (node src/main.ts worker) and time the drain from its start: ingest and push
   * do not share the cores in the measured window.
   */
  readonly ingestFirst: boolean;
}

const USAGE = `usage: node bench/drain.ts [options]
  --provider xero|quickbooks  the provider the one organisation (company) is connected to (default xero)
  --documents N          shipped invoices for the one organisation (default 10000)
  --database-url URL     PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
                         a scratch database is created on it and dropped at the end
  --concurrency N        webhooks in flight while sending (default 32)
  --customers N          distinct customers the invoices are spread over (default 50)
  --worker-concurrency N gateway WORKER_CONCURRENCY (default 8)
  --debounce-ms N        gateway PUSH_DEBOUNCE_MS (default 1000)
  --max-seconds N        watchdog: abort the run after this long (default 900)
  --keep-database        do not drop the scratch database
  --strict               exit with status 3 when a target is missed
  --dump-calls FILE      write every sandbox call of the organisation as a JSON line to FILE
  --mix invoices|month-end  month-end: after the invoices, edits of 1 in 10, payments over two
                         invoices for 2 in 10 (1 in 10 of those overpaid), credit notes for 1 in 50
  --ingest-first         ingest everything with no worker running (web role in-process), then start
                         one worker process (node src/main.ts worker) and measure the drain from its
                         start against the bound, so ingest and push do not compete for the cores
  --help`;

function positive(name: string, value: string, min = 1): number {
  if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`--${name} must be a whole number ≥ ${min} (got "${value}")`);
  return Number(value);
}

function mixOption(value: string): DrainOptions['mix'] {
  if (value !== 'invoices' && value !== 'month-end') throw new Error(`--mix must be invoices or month-end (got "${value}")`);
  return value;
}

/** Reads the command line; prints usage and exits on --help or a bad option. */
export function readDrainOptions(argv: string[]): DrainOptions {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        provider: { type: 'string', default: 'xero' },
        documents: { type: 'string', default: '10000' },
        'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
        concurrency: { type: 'string', default: '32' },
        customers: { type: 'string', default: '50' },
        'worker-concurrency': { type: 'string', default: '8' },
        'debounce-ms': { type: 'string', default: '1000' },
        'max-seconds': { type: 'string', default: '900' },
        'keep-database': { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        'dump-calls': { type: 'string' },
        mix: { type: 'string', default: 'invoices' },
        'ingest-first': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const databaseUrl = benchDatabaseUrl(values['database-url']);
    return {
      provider: providerOption(values.provider),
      documents: positive('documents', values.documents),
      databaseUrl,
      concurrency: positive('concurrency', values.concurrency),
      customers: positive('customers', values.customers),
      workerConcurrency: positive('worker-concurrency', values['worker-concurrency']),
      debounceMs: positive('debounce-ms', values['debounce-ms'], 0),
      maxSeconds: positive('max-seconds', values['max-seconds']),
      keepDatabase: values['keep-database'],
      strict: values.strict,
      dumpCalls: values['dump-calls'],
      mix: mixOption(values.mix),
      ingestFirst: values['ingest-first'],
    };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}
