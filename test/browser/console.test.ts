import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleLink, LINK_TTL_MS } from '../../src/console/sessions.ts';
import type { Organisation } from '../../src/sandbox/xero/types.ts';
import { AxeLog, axeAudit, axeReport, browserAvailable, browserSuite, consoleLink, launchBrowser, seriousOrWorse, startBrowserGateway, type BrowserGateway } from '../helpers/browser.ts';
import { shippedInvoice } from '../helpers/harness.ts';

/**
 * The console in headless Chromium against a gateway on real HTTP and the loopback Xero sandbox:
 * what a person sees and clicks, from the one-time link to a failed invoice retried and seen
 * turning synced while the page stays put. axe-core audits each page on the way.
 */

const TENANT = 'org_console';
const OTHER = 'org_console_other';
const ARCHIVED = 'The contact Acme Ltd has been archived and cannot be used on a transaction.';

let gw: BrowserGateway;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let org: Organisation;
let link: string;
let failedId: string;
const axe = new AxeLog();

const base = () => `${gw.origin}/console/t/${TENANT}`;
const invoice = (id: string, number: string, tenantId = TENANT) => {
  const event = shippedInvoice({ tenantId, id });
  event.data.invoice.number = number;
  return event;
};
const doc = (id: string) => gw.h.database.db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** Runs the job queue until `done` holds (a push may take more than one pass). */
async function runJobsUntil(done: () => Promise<boolean>, passes = 6) {
  for (let i = 0; i < passes; i++) {
    await gw.h.runJobs();
    if (await done()) return;
  }
  throw new Error(`not done after ${passes} job passes`);
}

async function audit(name: string) {
  const violations = axe.record(name, await axeReport(page));
  expect(seriousOrWorse(violations), `${name}: serious or critical axe violations`).toEqual([]);
}

describe.skipIf(!browserAvailable)(browserSuite('the console in a real browser'), () => {
  beforeAll(async () => {
    gw = await startBrowserGateway();
    const launched = await launchBrowser();
    if (!launched.browser) throw new Error(launched.reason);
    browser = launched.browser;
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    console.info(axe.summary());
    await browser?.close();
    await gw?.close();
  });

  it('a console link opens the documents page and leaves an HttpOnly, SameSite=Strict cookie', async () => {
    link = await consoleLink(gw.h, TENANT);
    expect(link.startsWith(`${gw.origin}/console/open?token=`)).toBe(true);
    const res = await page.goto(link);
    expect(res?.status()).toBe(200);
    expect(page.url()).toBe(`${base()}/documents`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Documents');
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    const cookies = await context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'lp_console', httpOnly: true, sameSite: 'Strict', path: '/console' })]);
    await expect(page.locator('.empty').textContent()).resolves.toBe('No documents match.');
  });

  it('connects to Xero through the sandbox consent page and comes back connected', async () => {
    org = gw.sb.addOrganisation({ name: 'Console Trading Ltd', region: 'UK' });
    gw.sb.setConsent({ organisations: [org.OrganisationID], page: true });
    await page.getByRole('link', { name: 'Connection' }).click();
    await page.waitForURL(`${base()}/connection`);
    await expect(page.locator('#live-region').textContent()).resolves.toContain('not connected to an accounting system');
    // The button posts to Ledgerport, which sends the browser to the sandbox's consent page; the
    // user ticks the organisation and allows access, and the sandbox sends the browser back through
    // /oauth/xero/callback and /console/return to the connection page.
    const visited: string[] = [];
    page.on('request', (r) => { if (r.isNavigationRequest() && r.frame() === page.mainFrame()) visited.push(new URL(r.url()).pathname); });
    await page.getByRole('button', { name: 'Connect to Xero' }).click();
    await page.getByRole('heading', { name: /wants access to your Xero organisations/ }).waitFor();
    await expect(page.getByRole('checkbox', { name: 'Console Trading Ltd' }).isChecked()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Allow access' }).click();
    await page.waitForURL(`${base()}/connection?status=connected`);
    expect(visited).toEqual(expect.arrayContaining(['/console/t/org_console/connection/connect', `${new URL(gw.sb.loginUrl).pathname}/identity/connect/authorize`, '/oauth/xero/callback', '/console/return']));
    await expect(page.locator('[data-connection-status]').getAttribute('data-connection-status')).resolves.toBe('connected');
    await expect(page.locator('dl.facts').textContent()).resolves.toContain('Console Trading Ltd');
    await expect(page.locator('#notices').textContent()).resolves.toContain('Connected.');
    await audit('connection');
  });

  it("sets posting defaults in the console's form, from the organisation's own accounts", async () => {
    await page.getByRole('link', { name: 'Posting defaults' }).click();
    await page.waitForURL(`${base()}/defaults`);
    await expect(page.locator('[data-defaults-version]').getAttribute('data-defaults-version')).resolves.toBe('0');
    // The pickers list the sandbox organisation's chart of accounts.
    await page.getByLabel('Sales invoice account').selectOption('200');
    await page.getByLabel('Supplier bill account').selectOption('300');
    await page.getByRole('button', { name: 'Save posting defaults' }).click();
    await page.waitForURL(/\/defaults\?notice=/);
    await expect(page.locator('#notices').textContent()).resolves.toContain('Saved as version 1.');
    await expect(page.locator('[data-defaults-version]').getAttribute('data-defaults-version')).resolves.toBe('1');
    const saved = await gw.h.request('GET', `/v1/tenants/${TENANT}/defaults`, { token: await gw.h.token(TENANT) });
    expect(saved.body).toMatchObject({ version: 1, sales_invoice_account: '200', purchase_bill_account: '300' });
    await audit('defaults');
  });

  it("shows an invoice Xero refused as failed, in Xero's own words", async () => {
    // One invoice goes through, linking the platform's customer to a Xero contact…
    const first = await gw.h.sendOps(invoice('inv_console_1', 'INV-2001'));
    expect(first.status).toBe(202);
    await runJobsUntil(async () => (await doc(first.body.document_id)).status === 'synced');
    // …which someone then archives in Xero: Xero refuses the next invoice for that contact.
    const acme = gw.sb.contacts(org.OrganisationID).find((c) => c.Name === 'Acme Ltd')!;
    gw.sb.updateContact(org.OrganisationID, String(acme.ContactID), { ContactStatus: 'ARCHIVED' });
    const second = await gw.h.sendOps(invoice('inv_console_2', 'INV-2002'));
    failedId = second.body.document_id;
    await runJobsUntil(async () => (await doc(failedId)).status === 'failed');

    await page.getByRole('link', { name: 'Documents' }).click();
    await page.waitForURL(`${base()}/documents`);
    const failedRow = page.locator('tr[data-status="failed"]');
    await expect(failedRow.count()).resolves.toBe(1);
    await expect(failedRow.locator('.provider-error').textContent()).resolves.toBe(ARCHIVED);
    await expect(failedRow.locator('td').first().textContent()).resolves.toContain('INV-2002');
    await expect(page.locator('tr[data-status="synced"] td').first().textContent()).resolves.toContain('INV-2001');
    await expect(page.getByRole('button', { name: 'Retry all 1 failed' }).count()).resolves.toBe(1);
    await audit('documents list');
  });

  it('the filters narrow the list', async () => {
    await page.getByLabel('Status').selectOption('failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=failed/);
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await page.getByLabel('Number or reference').fill('INV-2001');
    await page.getByLabel('Status').selectOption('');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/q=INV-2001/);
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('tbody tr').getAttribute('data-status')).resolves.toBe('synced');
  });

  it("the document page shows the history and the provider's error", async () => {
    await page.goto(`${base()}/documents`);
    await page.getByRole('link', { name: 'INV-2002' }).click();
    await page.waitForURL(`${base()}/documents/${failedId}`);
    await expect(page.locator('[data-document-status]').getAttribute('data-document-status')).resolves.toBe('failed');
    await expect(page.locator('.provider-errors li').allTextContents()).resolves.toEqual([ARCHIVED]);
    const history = await page.locator('table').first().locator('tbody tr td:nth-child(3)').allTextContents();
    expect(history.at(-1)).toBe('failed');
    await expect(page.locator('table').nth(1).locator('tbody tr').count()).resolves.toBe(1);
    await audit('document detail');
  });

  it('a form posted without the CSRF token is refused with 403', async () => {
    // The Retry form with its hidden token taken out, clicked as a person would.
    await page.locator(`form[action$="/documents/${failedId}/retry"] input[name="_csrf"]`).evaluate((input) => (input as unknown as { remove(): void }).remove());
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/documents/${failedId}/retry`)), page.getByRole('button', { name: 'Retry' }).click()]);
    expect(response.status()).toBe(403);
    await expect(page.locator('h1').textContent()).resolves.toBe('Something is not right');
    // And a script on the console's own origin, with the session cookie, without a token or with a wrong one.
    const statuses = await page.evaluate(`Promise.all([
      fetch('/console/t/${TENANT}/documents/${failedId}/retry', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' }).then((r) => r.status),
      fetch('/console/t/${TENANT}/documents/${failedId}/retry', { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': 'not-the-token' } }).then((r) => r.status),
    ])`);
    expect(statuses).toEqual([403, 403]);
    expect((await doc(failedId)).status).toBe('failed');
  });

  it('Retry, once the cause is fixed, turns the document synced without reloading the page', async () => {
    await page.goto(`${base()}/documents/${failedId}`);
    // Fixed in Xero: the contact is active again.
    const acme = gw.sb.contacts(org.OrganisationID).find((c) => c.Name === 'Acme Ltd')!;
    gw.sb.updateContact(org.OrganisationID, String(acme.ContactID), { ContactStatus: 'ACTIVE' });
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.waitForURL(/notice=/);
    await expect(page.locator('#notices').textContent()).resolves.toContain('Queued to be sent again.');
    await expect(page.locator('[data-document-status]').getAttribute('data-document-status')).resolves.toBe('queued');
    await page.waitForSelector('body[data-live-ready="true"]');

    // From here on the page must not navigate: a marker in the window survives only if it does not.
    await page.evaluate('window.__stillHere = "yes"');
    let navigations = 0;
    page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations++; });
    await runJobsUntil(async () => (await doc(failedId)).status === 'synced');
    await page.waitForSelector('[data-document-status="synced"]', { timeout: 15_000 });
    await expect(page.evaluate('window.__stillHere')).resolves.toBe('yes');
    expect(navigations).toBe(0);
    await expect(page.locator('body').getAttribute('data-refreshed')).resolves.toMatch(/^\d+$/);
    await expect(page.locator('.provider-errors').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Retry' }).count()).resolves.toBe(0);
  });

  it('a link already used, or expired, shows "no longer valid" (410)', async () => {
    const other = await browser.newContext();
    try {
      const tab = await other.newPage();
      const reused = await tab.goto(link);
      expect(reused?.status()).toBe(410);
      await expect(tab.locator('h1').textContent()).resolves.toBe('Link no longer valid');
      expect(await other.cookies()).toEqual([]);
      axe.record('link no longer valid', await axeReport(tab));
      // The audit does run under the console's CSP: a button without a name is found.
      await tab.evaluate(`document.querySelector('main').insertAdjacentHTML('beforeend', '<button></button>')`);
      expect((await axeAudit(tab)).map((v) => [v.id, v.impact])).toContainEqual(['button-name', 'critical']);

      const expired = await createConsoleLink(gw.h.database.db, { tenantId: TENANT, subject: 'test', now: new Date(Date.now() - LINK_TTL_MS - 60_000) });
      const late = await tab.goto(`${gw.origin}/console/open?token=${expired.token}`);
      expect(late?.status()).toBe(410);
      await expect(tab.locator('h1').textContent()).resolves.toBe('Link no longer valid');
      expect(await other.cookies()).toEqual([]);
      // Without a session the console's pages are closed.
      const closed = await tab.goto(`${base()}/documents`);
      expect(closed?.status()).toBe(401);
    } finally {
      await other.close();
    }
  });

  it("another tenant's documents answer 404, by its console or by id", async () => {
    const theirs = await gw.h.sendOps(invoice('inv_theirs', 'THEIRS-1', OTHER));
    expect(theirs.status).toBe(202);
    const otherId = theirs.body.document_id;
    for (const path of [`/console/t/${OTHER}/documents/${otherId}`, `/console/t/${OTHER}/documents`, `/console/t/${TENANT}/documents/${otherId}`, `/console/t/${TENANT}/documents/not-a-uuid`]) {
      const res = await page.goto(`${gw.origin}${path}`);
      expect(res?.status(), path).toBe(404);
      await expect(page.locator('h1').textContent()).resolves.toBe('Not found');
      await expect(page.content()).resolves.not.toContain('THEIRS-1');
    }
  });

  it("the sync history lists the push runs, the failed one with Xero's words", async () => {
    await page.goto(`${base()}/documents`);
    await page.getByRole('link', { name: 'Sync history' }).click();
    await page.waitForURL(`${base()}/runs`);
    const runs = page.locator('tr[data-run-id]');
    expect(await runs.count()).toBeGreaterThanOrEqual(3);
    await expect(page.locator('tr[data-run-id] .provider-error').allTextContents()).resolves.toContain(ARCHIVED);
    await audit('runs');
    await page.locator('tr[data-run-id]').filter({ hasText: ARCHIVED }).getByRole('link').first().click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    await expect(page.locator('[data-run-status]').getAttribute('data-run-status')).resolves.toBe('succeeded');
    await expect(page.locator('#live-region').textContent()).resolves.toContain(ARCHIVED);
    await audit('run detail');
  });
});
