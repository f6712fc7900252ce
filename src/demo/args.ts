import { parseArgs } from 'node:util';
import { PROVIDER_NAMES, type ProviderName } from './provider.ts';

export interface DemoOptions {
  readonly provider: ProviderName;
  readonly databaseUrl: string | undefined;
  readonly keepRunning: boolean;
  /** Print what GET /metrics answers at the end (and the sandbox's own counts beside it). */
  readonly printMetrics: boolean;
}

const USAGE = `usage: npm run demo [-- options]
  --provider xero|quickbooks  the accounting provider the demo tenant connects to (default xero)
  --database-url URL   use this PostgreSQL database instead of the demo's embedded one
                       (.ledgerport/demo, port 54339; your own .ledgerport data is never touched)
  --keep-running       leave the gateway and the sandbox up, print curl examples, stop on Ctrl-C
  --print-metrics      print Ledgerport's GET /metrics at the end, beside the sandbox's own counts
  --help`;

/** `--provider`'s value, checked. */
export function providerOption(value: string): ProviderName {
  const name = PROVIDER_NAMES.find((p) => p === value);
  if (!name) throw new Error(`--provider must be one of ${PROVIDER_NAMES.join(', ')} (got "${value}")`);
  return name;
}

/** Reads the command line; prints usage and exits on --help or a bad option. */
export function readDemoOptions(argv: string[]): DemoOptions {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        provider: { type: 'string', default: 'xero' },
        'database-url': { type: 'string' },
        'keep-running': { type: 'boolean', default: false },
        'print-metrics': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const databaseUrl = values['database-url'];
    if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error('--database-url must be a postgres:// URL');
    return { provider: providerOption(values.provider), databaseUrl, keepRunning: values['keep-running'], printMetrics: values['print-metrics'] };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}
