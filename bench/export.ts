import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import pg from 'pg';
import pino from 'pino';
import { migrate } from '../src/db/migrate.ts';
import { XERO_INVOICE_HEADER } from '../src/exports/xero-invoice-template.ts';
import { analyze, createBenchDatabase, type BenchDatabase } from './lib/bench-db.ts';
import { finishBench, guardRun } from './lib/finish.ts';
import { startGatewayProcess, sourceFingerprint, type GatewayProcess } from './lib/gateway-process.ts';
import { benchDatabaseUrl } from './lib/options.ts';
import { readVmKb } from './lib/proc.ts';

/**
 * Export benchmark: documents inserted straight into a fresh database, then
 * GET /v1/tenants/{tenant_id}/exports/documents.csv streamed from the gateway (web role, a
 * child process with the V8 flags of `npm run start:web`), once at --baseline documents and
 * once at --documents, each by a freshly started gateway so each peak RSS is its own. Flat
 * memory means the two peaks are about the same. Progress goes to stderr, the report to stdout.
 */
const USAGE = `usage: node bench/export.ts [options]
  --database-url URL   PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
                       a fresh database is created on it and dropped at the end
  --documents N        documents in the large export (default 100000)
  --baseline N         documents in the first, small export (default 10000)
  --max-seconds N      abort the run after this long (default 600)
  --keep-database      do not drop the bench database at the end
  --strict             exit with status 3 when memory is not flat (peak ratio > 1.25)
  --gateway-node-args  node flags for the gateway (default: those of npm run start:web)
  --help`;

function readOptions(argv: string[]) {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
        documents: { type: 'string', default: '100000' },
        baseline: { type: 'string', default: '10000' },
        'max-seconds': { type: 'string', default: '600' },
        'keep-database': { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        'gateway-node-args': { type: 'string', default: '--max-semi-space-size=4 --max-old-space-size=192' },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    const whole = (name: string, value: string) => {
      if (!/^\d+$/.test(value) || Number(value) < 1) throw new Error(`--${name} must be a whole number ≥ 1 (got "${value}")`);
      return Number(value);
    };
    const documents = whole('documents', values.documents);
    const baseline = whole('baseline', values.baseline);
    if (baseline > documents) throw new Error('--baseline must not exceed --documents');
    return {
      databaseUrl: benchDatabaseUrl(values['database-url']),
      documents,
      baseline,
      maxSeconds: whole('max-seconds', values['max-seconds']),
      keepDatabase: values['keep-database'],
      strict: values.strict,
      gatewayNodeArgs: values['gateway-node-args'].split(/\s+/).filter(Boolean),
    };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}

const opts = readOptions(process.argv.slice(2));
const TENANT = 'org_bench_export';
const LINES_PER_DOCUMENT = 2;
const startedAt = performance.now();
const progress = (message: string) =>
  process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(5)}s] ${message}\n`);

let database: BenchDatabase | undefined;
let gateway: GatewayProcess | undefined;

async function cleanup() {
  const g = gateway;
  gateway = undefined;
  await g?.stop(10_000).catch(() => undefined);
  if (database && !opts.keepDatabase) {
    await database.drop().catch((error: unknown) => progress(`could not drop ${database?.name}: ${(error as Error).message}`));
  }
}

const watchdog = guardRun({ maxSeconds: opts.maxSeconds, cleanup, progress });

/**
 * Documents `from`..`to` (inclusive) as the ops ingest stores them, held for want of a
 * connection: two lines each, one customer name in ten to quote, one line in fifty to neutralise.
 */
async function insertDocuments(pool: pg.Pool, from: number, to: number): Promise<void> {
  for (let start = from; start <= to; start += 10_000) {
    const end = Math.min(to, start + 9_999);
    await pool.query(
      `insert into documents (tenant_id, kind, source_id, source_version, source_event_type, source, status, status_reason)
       select $1, 'sales_invoice', 'inv_' || i, 1, 'sales_order.shipped',
         jsonb_build_object(
           'id', 'inv_' || i, 'version', 1, 'number', 'INV-' || i, 'reference', 'SO-' || i,
           'issue_date', to_char(date '2026-01-01' + (i % 365), 'YYYY-MM-DD'),
           'due_date', to_char(date '2026-01-31' + (i % 365), 'YYYY-MM-DD'),
           'currency', 'GBP', 'amounts_are', 'exclusive',
           'customer', jsonb_build_object(
             'id', 'cus_' || (i % 500),
             'name', case when i % 10 = 0 then 'Smith, "Jo" & Co ' || (i % 500) else 'Customer ' || (i % 500) || ' Ltd' end,
             'email', 'ap' || (i % 500) || '@example.test'),
           'lines', jsonb_build_array(
             jsonb_build_object('description', 'Widget, blue', 'quantity', '2', 'unit_price', '10.00', 'tax_rate', '20', 'item_code', 'W-1', 'category', 'sales'),
             jsonb_build_object('description', case when i % 50 = 0 then '=HYPERLINK("http://evil.test")' else 'Fitting' end,
               'quantity', '1.5', 'unit_price', '42.10', 'tax_rate', '20', 'discount_rate', '5', 'category', 'materials'))),
         'held', 'the tenant has no accounting connection yet'
       from generate_series($2::int, $3::int) i`,
      [TENANT, start, end],
    );
  }
}

interface ExportRun {
  readonly documents: number;
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly firstByteMs: number;
  readonly idleRssKb: number;
  readonly peakRssKb: number;
  readonly maxSampledRssKb: number;
  readonly headerOk: boolean;
}

/** A fresh gateway, one export read to the end (counting CRLF record ends), its memory, then stopped. */
async function measureExport(documents: number, dbUrl: string): Promise<ExportRun> {
  const secret = randomBytes(32).toString('base64url');
  gateway = await startGatewayProcess({ databaseUrl: dbUrl, poolSize: 10, nodeArgs: opts.gatewayNodeArgs, env: { AUTH_JWT_SECRET: secret } });
  const g = gateway;
  const idleRssKb = readVmKb(g.pid, 'VmRSS') ?? 0;
  const token = await new SignJWT({ tenant_id: TENANT }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(secret));
  progress(`export of ${documents.toLocaleString('en')} documents from gateway pid ${g.pid} (idle RSS ${(idleRssKb / 1024).toFixed(0)} MB)`);
  const started = performance.now();
  const res = await fetch(`${g.url}/v1/tenants/${TENANT}/exports/documents.csv`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}: ${await res.text()}`);
  let firstByteMs = 0;
  let bytes = 0;
  let recordEnds = 0;
  let head = '';
  let previous = 0;
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (bytes === 0) firstByteMs = performance.now() - started;
    bytes += chunk.byteLength;
    if (head.length < XERO_INVOICE_HEADER.length) head += decoder.decode(chunk.subarray(0, XERO_INVOICE_HEADER.length));
    for (const byte of chunk) {
      if (previous === 13 && byte === 10) recordEnds++;
      previous = byte;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const run: ExportRun = {
    documents,
    rows: recordEnds - 1,
    bytes,
    seconds,
    firstByteMs,
    idleRssKb,
    peakRssKb: g.peakRssKb() ?? 0,
    maxSampledRssKb: g.maxSampledRssKb(),
    headerOk: head.startsWith(XERO_INVOICE_HEADER),
  };
  gateway = undefined;
  await g.stop();
  return run;
}

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

async function main() {
  database = await createBenchDatabase(opts.databaseUrl);
  progress(`created database ${database.name}`);
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  pool.on('error', (error) => progress(`database pool: ${error.message}`));
  try {
    await migrate(pool, pino({ level: 'warn' }));
    await pool.query(`insert into tenants (id) values ($1)`, [TENANT]);
    await pool.query(`insert into posting_defaults (tenant_id, version, settings) values ($1, 1, $2)`, [
      TENANT,
      JSON.stringify({ sales_invoice_account: '200', account_mappings: { materials: '310' } }),
    ]);
    const insertStarted = performance.now();
    await insertDocuments(pool, 1, opts.baseline);
    await analyze(database.url);
    progress(`inserted ${opts.baseline.toLocaleString('en')} documents in ${((performance.now() - insertStarted) / 1000).toFixed(1)} s`);
    const small = await measureExport(opts.baseline, database.url);

    const moreStarted = performance.now();
    await insertDocuments(pool, opts.baseline + 1, opts.documents);
    await analyze(database.url);
    progress(`inserted ${(opts.documents - opts.baseline).toLocaleString('en')} more in ${((performance.now() - moreStarted) / 1000).toFixed(1)} s`);
    const large = await measureExport(opts.documents, database.url);

    const ratio = large.peakRssKb / small.peakRssKb;
    const growthRatio = (large.peakRssKb - large.idleRssKb) / Math.max(1, small.peakRssKb - small.idleRssKb);
    const serverVersion = database.serverVersion;
    const lines = [
      'Ledgerport export benchmark: GET /v1/tenants/{tenant_id}/exports/documents.csv',
      `  node ${process.version}, PostgreSQL ${serverVersion}, ${availableParallelism()} CPUs; client, gateway and PostgreSQL share this machine`,
      `  gateway: node ${opts.gatewayNodeArgs.join(' ')} src/main.ts web (a fresh process per export), NODE_ENV=production; src+sql fingerprint ${sourceFingerprint()}`,
      `  documents inserted straight into ${database.name}: ${LINES_PER_DOCUMENT} lines each (1 in 10 customer names quoted, 1 in 50 lines neutralised)`,
      '',
      '  documents   rows       MB      seconds   rows/s    first byte   idle RSS   peak RSS (VmHWM)   max sampled RSS',
      ...[small, large].map(
        (r) =>
          `  ${r.documents.toLocaleString('en').padStart(9)}   ${r.rows.toLocaleString('en').padStart(8)}   ${(r.bytes / 1048576).toFixed(1).padStart(6)}   ${r.seconds.toFixed(2).padStart(7)}   ${Math.round(r.rows / r.seconds).toLocaleString('en').padStart(7)}   ${r.firstByteMs.toFixed(0).padStart(7)} ms   ${mb(r.idleRssKb).padStart(8)}   ${mb(r.peakRssKb).padStart(16)}   ${mb(r.maxSampledRssKb).padStart(15)}`,
      ),
      '',
      `  peak RSS at ${opts.documents.toLocaleString('en')} vs ${opts.baseline.toLocaleString('en')} documents: ${ratio.toFixed(2)}× (growth above idle: ${growthRatio.toFixed(2)}×) for ${(opts.documents / opts.baseline).toFixed(0)}× the documents`,
    ];
    const rowsOk = small.rows === small.documents * LINES_PER_DOCUMENT && large.rows === large.documents * LINES_PER_DOCUMENT;
    const integrityOk = rowsOk && small.headerOk && large.headerOk;
    const targetsMet = ratio <= 1.25;
    lines.push(`  rows: ${rowsOk ? 'every line of every document' : 'MISSING ROWS'}; header: ${small.headerOk && large.headerOk ? "Xero's template" : 'WRONG'}`);
    lines.push(`  memory: ${targetsMet ? 'flat' : 'NOT FLAT'} (target: peak ratio ≤ 1.25)`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return { integrityOk, targetsMet };
  } finally {
    await pool.end();
  }
}

await finishBench({ main, cleanup, watchdog, strict: opts.strict, progress, startedAt });
