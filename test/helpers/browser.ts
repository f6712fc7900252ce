import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { serve } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from '../../src/demo/free-port.ts';
import { createApp } from '../../src/http/app.ts';
import type { XeroSandbox } from '../../src/sandbox/xero/index.ts';
import type { Harness } from './harness.ts';
import { startXeroHarness } from './xero.ts';

/**
 * Real-browser tests: headless Chromium through playwright-core, which downloads nothing. The
 * browser is the machine's own (CHROMIUM_PATH, else Debian's /usr/bin/chromium); where there is
 * none, or it cannot start, the browser tests skip with the reason and the rest of the suite runs.
 */

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium executable to use, or why there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): { path: string } | { reason: string } {
  const configured = env.CHROMIUM_PATH?.trim();
  if (configured) return existsSync(configured) ? { path: configured } : { reason: `CHROMIUM_PATH=${configured} does not exist` };
  const found = CANDIDATES.find((candidate) => existsSync(candidate));
  return found ? { path: found } : { reason: `no Chromium found (set CHROMIUM_PATH, or install Debian's chromium: looked at ${CANDIDATES.join(', ')})` };
}

/** Headless Chromium, or null and the reason it could not start. Root needs --no-sandbox. */
export async function launchBrowser(): Promise<{ browser: Browser; executablePath: string; reason?: undefined } | { browser: null; executablePath?: string; reason: string }> {
  const found = findChromium();
  if ('reason' in found) return { browser: null, reason: found.reason };
  try {
    const browser = await chromium.launch({ executablePath: found.path, args: ['--no-sandbox'], timeout: 30_000 });
    return { browser, executablePath: found.path };
  } catch (error) {
    return { browser: null, executablePath: found.path, reason: `${found.path} did not start: ${(error as Error).message.split('\n')[0]}` };
  }
}

// Decided once, when a test file imports this, so `describe.skipIf(!browserAvailable)` can use it.
const probe = await launchBrowser();
await probe.browser?.close();

export const browserAvailable = probe.browser !== null;
/** Why the browser tests skip ('' when they run). */
export const browserSkipReason = probe.reason ?? '';
if (!browserAvailable) console.warn(`browser tests skipped: ${browserSkipReason}`);
else console.info(`browser tests use ${probe.executablePath}`);

/** A describe title that says why it skipped. */
export const browserSuite = (title: string) => (browserAvailable ? title : `${title} (skipped: ${browserSkipReason})`);

// ---- The gateway on real HTTP, wired to the loopback Xero sandbox. ----

export interface BrowserGateway {
  readonly h: Harness;
  readonly sb: XeroSandbox;
  /** http://127.0.0.1:PORT, where the browser goes. */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * The Xero harness, also served on a real port. The port is chosen before the harness starts,
 * because the OAuth redirect URI the gateway announces (and the sandbox sends the browser back to)
 * must name it; PUBLIC_URL makes console links name it too. The served app shares the harness's
 * context, so h.sendOps, h.runJobs and the database are the same gateway the browser sees.
 */
export async function startBrowserGateway(): Promise<BrowserGateway> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const { h, sb, close } = await startXeroHarness({ env: { XERO_REDIRECT_URI: `${origin}/oauth/xero/callback`, PUBLIC_URL: origin } });
  const app = createApp(h.ctx);
  let server: Server;
  try {
    server = await new Promise<Server>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server;
      s.once('error', reject);
    });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    h,
    sb,
    origin,
    close: async () => {
      // Live-update streams stay open: end them, then stop.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await close();
    },
  };
}

/** A one-time console link for `tenantId`, asked for over the REST API as a platform does. */
export async function consoleLink(h: Harness, tenantId: string): Promise<string> {
  const res = await h.request('POST', `/v1/tenants/${tenantId}/console-sessions`, { token: await h.token(tenantId) });
  if (res.status !== 201) throw new Error(`POST console-sessions answered ${res.status}: ${res.text}`);
  return (res.body as { url: string }).url;
}

// ---- Accessibility: axe-core in the page. ----

export type Impact = 'minor' | 'moderate' | 'serious' | 'critical';
export const IMPACTS: readonly Impact[] = ['critical', 'serious', 'moderate', 'minor'];

export interface AxeViolation {
  readonly id: string;
  readonly impact: Impact | null;
  readonly help: string;
  readonly helpUrl: string;
  /** CSS selectors of the offending elements (first few). */
  readonly targets: string[];
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeReport {
  readonly violations: AxeViolation[];
  /** Rules axe could not decide by itself (e.g. contrast over a background it cannot see): to look at by hand. */
  readonly incomplete: { readonly id: string; readonly impact: Impact | null; readonly nodes: number }[];
}

/**
 * Runs axe-core on the page as it is. The console's CSP allows no inline or foreign script, so a
 * <script> tag cannot carry axe in; page.evaluate runs through the DevTools protocol, which CSP
 * does not govern, so the page keeps its real policy while audited.
 */
export async function axeReport(page: Page): Promise<AxeReport> {
  const loaded = await page.evaluate('typeof window.axe === "object"');
  if (!loaded) await page.evaluate(axeSource);
  return (await page.evaluate(`axe.run(document).then((r) => ({
    violations: r.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, helpUrl: v.helpUrl, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })),
    incomplete: r.incomplete.map((v) => ({ id: v.id, impact: v.impact ?? null, nodes: v.nodes.length })),
  }))`)) as AxeReport;
}

/** axe-core's violations on the page as it is. */
export const axeAudit = async (page: Page): Promise<AxeViolation[]> => (await axeReport(page)).violations;

/** Findings per page, for the summary printed at the end of a run. */
export class AxeLog {
  readonly pages = new Map<string, AxeReport>();

  record(name: string, report: AxeReport): AxeViolation[] {
    this.pages.set(name, report);
    return report.violations;
  }

  /** "documents list: 0 critical, 0 serious, 1 moderate, 0 minor", each violation, and what needs a look by hand. */
  summary(): string {
    const lines = ['axe-core findings per page (violations by impact):'];
    for (const [name, { violations, incomplete }] of this.pages) {
      const counts = IMPACTS.map((impact) => `${violations.filter((v) => v.impact === impact).length} ${impact}`).join(', ');
      const review = incomplete.length ? `; needs review: ${incomplete.map((i) => `${i.id} (${i.impact ?? '-'}, ${i.nodes} node${i.nodes === 1 ? '' : 's'})`).join(', ')}` : '';
      lines.push(`  ${name}: ${counts}${review}`);
      for (const v of violations) lines.push(`    - [${v.impact ?? 'unknown'}] ${v.id}: ${v.help} (${v.targets.join('; ')})`);
    }
    return lines.join('\n');
  }
}

/** The violations an assertion should fail on. */
export const seriousOrWorse = (violations: readonly AxeViolation[]) => violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
