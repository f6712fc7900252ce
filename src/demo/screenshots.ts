import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadConfig } from '../config.ts';
import { startGateway, type Gateway } from '../gateway.ts';
import { createLogger } from '../logger.ts';
import { createGatewayClient, type GatewayClient } from './client.ts';
import { openDemoDatabase, type DemoDatabase } from './database.ts';
import { waitUntilSynced, type DocumentView } from './documents.ts';
import { gatewayEnvironment } from './environment.ts';
import { demoEvents } from './events.ts';
import { freePort } from './free-port.ts';
import type { DemoProvider } from './provider.ts';
import { generateSecrets } from './secrets.ts';
import { startDemoProvider } from './start-provider.ts';

/**
 * `npm run screenshots [-- --database-url URL] [-- --out DIR]`: the Xero sandbox and a gateway as
 * `npm run demo` starts them, a tenant connected with a few documents (one of them refused by
 * Xero), and the console opened from a one-time link in headless Chromium; each page is written
 * as a PNG at 1280×800, the documents page also at 390×844 (a phone). Needs a Chromium
 * executable (CHROMIUM_PATH, else /usr/bin/chromium or /usr/bin/chromium-browser) and the
 * playwright-core dev dependency.
 */

const TENANT = 'org_demo';
const ORGANISATION_NAME = 'Demo Trading Ltd';
const ROOT = path.resolve(import.meta.dirname, '../..');
const DATA_DIR = path.join(ROOT, '.ledgerport/screenshots');
const EMBEDDED_PG_PORT = 54341;
const TIMEOUT_MS = 60_000;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const USAGE = `usage: npm run screenshots [-- options]
  --database-url URL   use this PostgreSQL server instead of an embedded one (.ledgerport/screenshots, port ${EMBEDDED_PG_PORT})
  --out DIR            where the PNGs go (default docs/screenshots)
  --help`;

const say = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readOptions(argv: string[]): { databaseUrl: string | undefined; out: string } {
  try {
    const { values } = parseArgs({ args: argv, strict: true, options: { 'database-url': { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', default: false } } });
    if (values.help) {
      say(USAGE);
      process.exit(0);
    }
    const databaseUrl = values['database-url'];
    if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new Error('--database-url must be a postgres:// URL');
    return { databaseUrl, out: path.resolve(values.out ?? path.join(ROOT, 'docs/screenshots')) };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}

function findChromium(): string {
  const configured = process.env.CHROMIUM_PATH?.trim();
  if (configured) {
    if (!existsSync(configured)) throw new Error(`CHROMIUM_PATH=${configured} does not exist`);
    return configured;
  }
  const found = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!found) throw new Error('no Chromium found: set CHROMIUM_PATH, or install one (Debian: apt-get install chromium)');
  return found;
}

async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  const { chromium } = await import('playwright-core').catch(() => {
    throw new Error('playwright-core is not installed (it is a dev dependency: npm install)');
  });
  say(`Chromium: ${executablePath}`);
  // Root (containers, CI) cannot use Chromium's sandbox.
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}

async function waitForStatus(client: GatewayClient, id: string, status: string): Promise<DocumentView> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const res = await client.api<DocumentView>(TENANT, 'GET', `/documents/${id}`);
    if (res.status === 200 && res.body.status === status) return res.body;
    if (Date.now() > deadline) throw new Error(`document ${id} is ${res.status === 200 ? res.body.status : `answering ${res.status}`}, not ${status}, after ${TIMEOUT_MS / 1000} s`);
    await sleep(250);
  }
}

/** Opens `url` and writes the viewport (not the whole page) as `file`. */
async function shoot(page: Page, url: string, file: string): Promise<boolean> {
  const res = await page.goto(url, { waitUntil: 'load' });
  if (!res || res.status() !== 200) {
    say(`     skipped ${path.basename(file)}: ${url} answered ${res?.status() ?? 'nothing'}`);
    return false;
  }
  // The live-update stream is open, so the page is as it will stay; fonts are loaded.
  await page.waitForSelector('body[data-live-ready="true"]', { timeout: 10_000 }).catch(() => undefined);
  await page.evaluate('document.fonts.ready.then(() => true)');
  await page.screenshot({ path: file, fullPage: false });
  say(`     ${path.relative(process.cwd(), file)}`);
  return true;
}

let provider: DemoProvider | undefined;
let gateway: Gateway | undefined;
let database: DemoDatabase | undefined;
let browser: Browser | undefined;

async function stopEverything(): Promise<void> {
  const [b, g, p, d] = [browser, gateway, provider, database];
  browser = gateway = provider = database = undefined;
  try {
    // The browser first: its live-update streams keep the gateway's connections open.
    await b?.close();
    await g?.stop();
    await p?.close();
  } finally {
    await d?.close();
  }
}

async function run(): Promise<void> {
  const opts = readOptions(process.argv.slice(2));
  const quiet = pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true }));
  browser = await launchChromium();
  provider = await startDemoProvider('xero', { logger: quiet });
  say(`Xero sandbox at ${provider.sandboxUrl}`);

  const logger = createLogger({ level: 'warn', destination: pino.destination({ fd: 2, sync: true }) });
  database = await openDemoDatabase({ serverUrl: opts.databaseUrl, dataDir: DATA_DIR, port: EMBEDDED_PG_PORT, logger });
  const secrets = generateSecrets();
  const env = gatewayEnvironment({ port: await freePort(), provider, secrets, databaseUrl: database.url, extra: { LEDGERPORT_DATA_DIR: DATA_DIR, PUSH_DEBOUNCE_MS: '200' } });
  gateway = await startGateway(loadConfig(env), logger, 'all');
  const origin = gateway.url!;
  say(`Ledgerport at ${origin} on ${database.label}`);

  const client = createGatewayClient({ baseUrl: origin, opsSecret: secrets.OPS_WEBHOOK_SECRETS, jwtSecret: secrets.AUTH_JWT_SECRET });
  const org = await provider.connect(client, TENANT, ORGANISATION_NAME);
  const defaults = await client.api(TENANT, 'PUT', '/defaults', provider.defaults);
  if (defaults.status !== 200) throw new Error(`PUT /defaults answered ${defaults.status}: ${JSON.stringify(defaults.body)}`);
  say(`Tenant ${TENANT} connected to "${org.name}"; posting defaults set`);

  const events = demoEvents(TENANT);
  const ids: string[] = [];
  for (const { label, event } of events) {
    const res = await client.sendWebhook(event);
    if (res.status !== 202 || !res.body.document_id) throw new Error(`webhook for ${label} answered ${res.status}: ${JSON.stringify(res.body)}`);
    ids.push(res.body.document_id);
  }
  await waitUntilSynced(client, TENANT, ids, { timeoutMs: TIMEOUT_MS });
  // One that Xero refuses: a second invoice under a number it already holds.
  const [firstInvoice] = events;
  const clash = structuredClone(firstInvoice!.event) as { data: { invoice: Record<string, unknown> } };
  Object.assign(clash.data.invoice, { id: 'inv_1099', reference: 'SO-7799' });
  const refused = await client.sendWebhook(clash);
  if (refused.status !== 202 || !refused.body.document_id) throw new Error(`webhook for the clashing invoice answered ${refused.status}: ${JSON.stringify(refused.body)}`);
  const failed = await waitForStatus(client, refused.body.document_id, 'failed');
  say(`${ids.length} documents synced; ${String(clash.data.invoice.number)} again (inv_1099) failed: ${failed.status_reason ?? ''}`);

  const link = await client.api<{ url: string }>(TENANT, 'POST', '/console-sessions');
  if (link.status !== 201) throw new Error(`POST /console-sessions answered ${link.status}: ${JSON.stringify(link.body)}`);

  await mkdir(opts.out, { recursive: true });
  const file = (name: string) => path.join(opts.out, `${name}.png`);
  const desktop: BrowserContext = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1, colorScheme: 'light', locale: 'en-GB' });
  const page = await desktop.newPage();
  const opened = await page.goto(link.body.url);
  if (opened?.status() !== 200 || !page.url().endsWith(`/console/t/${TENANT}/documents`)) throw new Error(`the console link led to ${page.url()} (${opened?.status()})`);
  const base = `${origin}/console/t/${TENANT}`;
  say(`Screenshots (${DESKTOP.width}×${DESKTOP.height}) in ${path.relative(process.cwd(), opts.out) || '.'}:`);
  await shoot(page, `${base}/documents`, file('documents'));
  await shoot(page, `${base}/documents/${failed.id}`, file('document-detail'));
  await shoot(page, `${base}/connection`, file('connection'));
  await shoot(page, `${base}/defaults`, file('defaults'));
  await shoot(page, `${base}/runs`, file('runs'));

  // The phone: the same session (its cookie), a narrow touch screen.
  const phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1, isMobile: true, hasTouch: true, colorScheme: 'light', locale: 'en-GB' });
  await phone.addCookies(await desktop.cookies());
  say(`Phone (${PHONE.width}×${PHONE.height}):`);
  await shoot(await phone.newPage(), `${base}/documents`, file('documents-phone'));
  await stopEverything();
  say('done');
}

const watchdog = setTimeout(() => void fail('did not finish within 3 minutes'), 3 * 60_000);
watchdog.unref();

async function fail(message: string): Promise<never> {
  process.stderr.write(`\nscreenshots failed: ${message}\n`);
  await stopEverything().catch((error: unknown) => process.stderr.write(`while stopping: ${(error as Error).message}\n`));
  process.exit(1);
}

process.once('SIGINT', () => void fail('interrupted'));
process.once('SIGTERM', () => void fail('interrupted'));
try {
  await run();
  clearTimeout(watchdog);
  process.exit(0);
} catch (error) {
  clearTimeout(watchdog);
  await fail((error as Error).message);
}
