import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../config.ts';
import { startGateway, type Gateway } from '../gateway.ts';
import { createLogger } from '../logger.ts';
import { readDemoOptions } from './args.ts';
import { createGatewayClient } from './client.ts';
import { documentDetail, waitUntilSettled, waitUntilSynced } from './documents.ts';
import { demoFollowUps } from './follow-ups.ts';
import { gatewayEnvironment } from './environment.ts';
import { openDemoDatabase, type DemoDatabase } from './database.ts';
import { demoEvents } from './events.ts';
import { freePort } from './free-port.ts';
import { printTryIt, untilInterrupted } from './keep-running.ts';
import type { DemoProvider } from './provider.ts';
import { printDocuments, printMoney, printSandbox, sandboxSnapshot } from './report.ts';
import { generateSecrets } from './secrets.ts';
import { startDemoProvider } from './start-provider.ts';

/**
 * `npm run demo [-- --provider xero|quickbooks]`: the provider's sandbox and Ledgerport in this
 * process, one UK organisation (or company) connected through OAuth, a few signed webhooks, and
 * what ended up in "Xero" or "QuickBooks". Loopback only; the embedded PostgreSQL lives in its
 * own folder and port, apart from the user's `.ledgerport` data.
 */

const TENANT = 'org_demo';
const ORGANISATION_NAME = 'Demo Trading Ltd';
const DATA_DIR = path.resolve(import.meta.dirname, '../../.ledgerport/demo');
const EMBEDDED_PG_PORT = 54339;
const SYNC_TIMEOUT_MS = 60_000;
const WATCHDOG_MS = 5 * 60_000;

const opts = readDemoOptions(process.argv.slice(2));
const say = (line = '') => process.stdout.write(`${line}\n`);
const startedAt = performance.now();
const seconds = () => `${((performance.now() - startedAt) / 1000).toFixed(1)} s`;

let sandbox: DemoProvider | undefined;
let gateway: Gateway | undefined;
let database: DemoDatabase | undefined;

async function stopEverything(): Promise<void> {
  const g = gateway;
  const s = sandbox;
  const d = database;
  gateway = undefined;
  sandbox = undefined;
  database = undefined;
  // The gateway first: its worker may still be talking to the sandbox and the database.
  try {
    await g?.stop();
    await s?.close();
  } finally {
    await d?.close();
  }
}

async function fail(message: string): Promise<never> {
  process.stderr.write(`\ndemo failed: ${message}\n`);
  await stopEverything().catch((error: unknown) => process.stderr.write(`while stopping: ${(error as Error).message}\n`));
  process.exit(1);
}

async function run(): Promise<void> {
  // Anything either side logs goes to stderr at warn and above, so this summary stays readable.
  const quiet = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }));
  sandbox = await startDemoProvider(opts.provider, { logger: quiet });
  const provider = sandbox;
  say(`Ledgerport demo: a sandboxed ${provider.title} ${provider.orgNoun}, signed webhooks in, invoices and a bill out, then an edit, a payment, a credit note and a void`);
  say();
  const possessive = provider.short.endsWith('s') ? `${provider.short}'` : `${provider.short}'s`;
  say(`1. ${provider.title} sandbox at ${provider.sandboxUrl} (${possessive} limits: ${provider.limitsText})`);

  const logger = createLogger({ level: 'warn', destination: pino.destination({ fd: 2, sync: true }) });
  database = await openDemoDatabase({ serverUrl: opts.databaseUrl, dataDir: DATA_DIR, port: EMBEDDED_PG_PORT, logger });
  const secrets = generateSecrets();
  const env = gatewayEnvironment({
    port: await freePort(),
    provider,
    secrets,
    databaseUrl: database.url,
    extra: { LEDGERPORT_DATA_DIR: DATA_DIR, PUSH_DEBOUNCE_MS: '200' },
  });
  const config = loadConfig(env);
  gateway = await startGateway(config, logger, 'all');
  say(`2. Ledgerport (web + worker) at ${gateway.url} on a fresh ${database.label}; secrets generated for this run`);

  const client = createGatewayClient({ baseUrl: gateway.url!, opsSecret: secrets.OPS_WEBHOOK_SECRETS, jwtSecret: secrets.AUTH_JWT_SECRET });
  const org = await provider.connect(client, TENANT, ORGANISATION_NAME);
  say(`3. Connected tenant ${TENANT} to "${org.name}" (${org.detail}) through OAuth: authorize → consent at the sandbox → callback`);

  const defaults = await client.api<{ version: number }>(TENANT, 'PUT', '/defaults', provider.defaults);
  if (defaults.status !== 200) throw new Error(`PUT /defaults answered ${defaults.status}: ${JSON.stringify(defaults.body)}`);
  say(`4. Posting defaults v${defaults.body.version}: ${provider.defaultsText}`);

  const events = demoEvents(TENANT);
  say(`5. Signed webhooks to POST /webhooks/ops (Standard Webhooks, HMAC-SHA256):`);
  const ids: string[] = [];
  let first: { event: unknown; webhookId: string; documentId: string } | undefined;
  for (const { label, event } of events) {
    const res = await client.sendWebhook(event);
    if (res.status !== 202 || !res.body.document_id) throw new Error(`webhook for ${label} answered ${res.status}: ${JSON.stringify(res.body)}`);
    ids.push(res.body.document_id);
    first ??= { event, webhookId: res.webhookId, documentId: res.body.document_id };
    say(`     ${String((event as { type: string }).type).padEnd(24)} ${label.padEnd(40)} → ${res.status} ${res.body.status}`);
  }
  const again = await client.sendWebhook(first!.event, first!.webhookId);
  const sameDocument = again.body.document_id === first!.documentId;
  if (again.status !== 200 || again.body.duplicate !== true || !sameDocument) {
    throw new Error(`the redelivery answered ${again.status} ${JSON.stringify(again.body)}, not 200 {duplicate: true} for the same document`);
  }
  say(`     redelivery of the first (same webhook-id)                         → ${again.status} duplicate, same document, nothing new queued`);

  say(`6. Waiting until all ${ids.length} documents are synced (timeout ${SYNC_TIMEOUT_MS / 1000} s)…`);
  const syncStart = performance.now();
  await waitUntilSynced(client, TENANT, ids, {
    timeoutMs: SYNC_TIMEOUT_MS,
    onProgress: (counts) => say(`     ${Object.entries(counts).map(([status, n]) => `${n} ${status}`).join(', ')}`),
  });
  say(`   all synced ${((performance.now() - syncStart) / 1000).toFixed(1)} s after the last webhook`);

  say();
  say(`Documents in Ledgerport (GET /v1/tenants/${TENANT}/documents/{id}):`);
  printDocuments(say, await Promise.all(ids.map((id) => documentDetail(client, TENANT, id))), provider.short);
  say();
  say(`What the ${provider.title} sandbox received for "${org.name}":`);
  const created = sandboxSnapshot(provider, org.id);
  printSandbox(say, created, provider);
  checkSandbox(created, ids.length);
  say();

  // After the first sync: all four at once; the payment waits for the edit of INV-1001 by itself.
  const sent = new Map(events.map(({ event }) => {
    const object = ((event.data as Record<string, unknown>).invoice ?? (event.data as Record<string, unknown>).bill) as Record<string, unknown>;
    return [String(object.id), object];
  }));
  const followUps = demoFollowUps(TENANT, (id) => sent.get(id)!);
  say(`7. After the first sync, more signed webhooks:`);
  const followUpIds = new Set(ids);
  for (const { label, event } of followUps.events) {
    const res = await client.sendWebhook(event);
    if (res.status !== 202 || !res.body.document_id) throw new Error(`webhook for ${label} answered ${res.status}: ${JSON.stringify(res.body)}`);
    followUpIds.add(res.body.document_id);
    say(`     ${String((event as { type: string }).type).padEnd(24)} ${label.padEnd(44)} → ${res.status} ${res.body.status}`);
  }
  say(`8. Waiting until the edit, payment and credit note are synced, the void is done, and the amounts due are read back…`);
  const followStart = performance.now();
  await waitUntilSettled(client, TENANT, followUps.expected, { timeoutMs: SYNC_TIMEOUT_MS, onProgress: (line) => say(`     ${line}`) });
  say(`   settled ${((performance.now() - followStart) / 1000).toFixed(1)} s after the last webhook`);
  say();
  say(`Documents in Ledgerport now:`);
  const details = await Promise.all([...followUpIds].map((id) => documentDetail(client, TENANT, id)));
  printDocuments(say, details, provider.short);
  say();
  say(`What the ${provider.title} sandbox holds at the end:`);
  const snapshot = sandboxSnapshot(provider, org.id);
  printSandbox(say, snapshot, provider);
  say();
  printMoney(say, provider.money(org.id));
  checkSandbox(snapshot, ids.length);
  const money = provider.money(org.id);
  const expectedPayments = provider.name === 'xero' ? 2 : 1;
  if (money.payments !== expectedPayments || money.creditNotes !== 1) {
    throw new Error(`the sandbox holds ${money.payments} payment(s) and ${money.creditNotes} credit note(s), expected ${expectedPayments} and 1`);
  }
  say();
  if (opts.printMetrics) await printMetrics(gateway.metricsUrl, () => provider.throttling(org.id));

  if (opts.keepRunning) {
    clearTimeout(watchdog);
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    await printTryIt(say, { client, tenantId: TENANT, documentId: ids[0]!, opsSecret: secrets.OPS_WEBHOOK_SECRETS });
    const signal = await untilInterrupted();
    say(`${signal}: stopping…`);
  }
  await stopEverything();
  const checked = provider.contractViolations() ? '0 duplicates, 0 contract violations' : '0 duplicates';
  say(`OK: ${ids.length} documents synced once each, then edited, paid, credited and voided; ${checked}; stopped cleanly after ${seconds()}.`);
}

/** `--print-metrics`: GET /metrics as Prometheus would scrape it, and the sandbox's own count of what it received just after. */
async function printMetrics(url: string, sandboxCounts: () => { calls: number; throttled: number }): Promise<void> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`);
  const counts = sandboxCounts();
  say(`GET ${url} (the sandbox counted ${counts.calls} API calls, ${counts.throttled} answered 429):`);
  say('--- metrics ---');
  say(text.trimEnd());
  say('--- end of metrics ---');
  say();
}

/** What must hold at the sandbox: each number once, every body within the contract, every document there. */
function checkSandbox(snapshot: ReturnType<typeof sandboxSnapshot>, documents: number): void {
  const { holdings, contractViolations } = snapshot;
  const problems = [
    ...(holdings.duplicates.length ? [`${holdings.duplicates.length} duplicate document number(s) at the sandbox`] : []),
    ...(contractViolations?.length ? [`${contractViolations.length} contract violation(s)`] : []),
    ...(holdings.count !== documents ? [`the sandbox holds ${holdings.count} documents, expected ${documents}`] : []),
  ];
  if (problems.length) throw new Error(problems.join('; '));
}

const watchdog = setTimeout(() => void fail(`the demo did not finish within ${WATCHDOG_MS / 60_000} minutes`), WATCHDOG_MS);
watchdog.unref();
const interrupted = () => void fail('interrupted');
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);
try {
  await run();
  clearTimeout(watchdog);
  process.exit(0);
} catch (error) {
  clearTimeout(watchdog);
  await fail((error as Error).message);
}
