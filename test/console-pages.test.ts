import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/http/app.ts';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import type { Harness } from './helpers/harness.ts';
import { shippedInvoice } from './helpers/harness.ts';
import { quickBooksFixture, type ProviderFixture } from './helpers/providers.ts';
import { connectXero, startXeroHarness } from './helpers/xero.ts';

/**
 * The console's posting defaults and sync history pages, through the app as a browser uses
 * them: a one-time link opened for a session cookie, forms posted with the CSRF token. The
 * console is HTML and not in openapi.yaml, so these requests go to the app directly rather than
 * through h.request (which checks every response against the spec).
 */

let h: Harness;
let sb: XeroSandbox;
let close: () => Promise<void>;
let app: App;
beforeAll(async () => {
  ({ h, sb, close } = await startXeroHarness());
  app = createApp(h.ctx);
});
afterAll(async () => {
  await close();
});

interface Browser {
  get(path: string): Promise<{ status: number; html: string; location: string | null }>;
  /** Posts a form; `_csrf` is added unless `csrf: null` (or another token) is given. */
  post(path: string, fields: Record<string, string> | [string, string][], opts?: { csrf?: string | null }): Promise<{ status: number; html: string; location: string | null }>;
  readonly csrf: string;
  readonly cookie: string;
}

async function openConsole(tenantId: string, on: { h: Harness; app: App } = { h, app }): Promise<Browser> {
  const { h: harness, app: target } = on;
  const token = await harness.token(tenantId);
  const link = await target.request(`/v1/tenants/${tenantId}/console-sessions`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  expect(link.status).toBe(201);
  const url = new URL(((await link.json()) as { url: string }).url);
  const opened = await target.request(`${url.pathname}${url.search}`);
  expect(opened.status).toBe(303);
  const cookie = (opened.headers.get('set-cookie') ?? '').split(';')[0]!;
  expect(cookie).toMatch(/^lp_console=/);
  const answer = async (res: Response) => ({ status: res.status, html: await res.text(), location: res.headers.get('location') });
  const get = async (path: string) => answer(await target.request(path, { headers: { cookie, accept: 'text/html' } }));
  const first = await get(`/console/t/${tenantId}/documents`);
  expect(first.status).toBe(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(first.html)?.[1];
  expect(csrf).toBeTruthy();
  return {
    csrf: csrf!,
    cookie,
    get,
    async post(path, fields, opts = {}) {
      const body = new URLSearchParams(Array.isArray(fields) ? fields : Object.entries(fields));
      const token = opts.csrf === undefined ? csrf! : opts.csrf;
      if (token !== null) body.set('_csrf', token);
      return answer(await target.request(path, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() }));
    },
  };
}

/** The HTML of the element `<tag … id="id">`: up to its matching closing tag, or the tag itself for an <input>. */
function element(html: string, tag: string, id: string): string {
  const start = html.search(new RegExp(`<${tag}[^>]*\\sid="${id}"`));
  expect(start, `no <${tag} id="${id}">`).toBeGreaterThanOrEqual(0);
  if (tag === 'input') return html.slice(start, html.indexOf('>', start) + 1);
  const tags = new RegExp(`<${tag}[\\s>]|</${tag}>`, 'g');
  tags.lastIndex = start + 1;
  let depth = 1;
  for (let m = tags.exec(html); m; m = tags.exec(html)) {
    depth += m[0].startsWith('</') ? -1 : 1;
    if (depth === 0) return html.slice(start, m.index + m[0].length);
  }
  throw new Error(`<${tag} id="${id}"> is not closed`);
}
/** What an element says: tags dropped, entities decoded. */
const words = (fragment: string) =>
  fragment.replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const optionValues = (select: string) => [...select.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]);
const selected = (select: string) => /<option value="([^"]*)" selected>/.exec(select)?.[1];
const versions = (tenantId: string) =>
  h.database.db.selectFrom('posting_defaults').select(['version', 'settings']).where('tenant_id', '=', tenantId).orderBy('version').execute();

/** A full, valid posting defaults form for a UK sandbox organisation. */
const validForm = (overrides: Record<string, string> = {}): Record<string, string> => ({
  sales_invoice_account: '200',
  purchase_bill_account: '300',
  payments_bank_account: '090',
  tax_treatment: 'output_tax',
  send_as: 'approved',
  auto_push_invoices: '',
  po_import_schedule: 'daily',
  sync_payments: 'true',
  // auto_create_bills left unticked
  'account_mappings[0][key]': 'materials',
  'account_mappings[0][code]': '310',
  'account_mappings[1][key]': '',
  'account_mappings[1][code]': '',
  'tax_code_mappings[0][key]': '',
  'tax_code_mappings[0][code]': '',
  ...overrides,
});

describe('posting defaults page', () => {
  it("offers the organisation's accounts and tax rates as pickers, read once into provider_catalog", async () => {
    await connectXero(h, sb, 'con_def_pick', 'Picker Ltd');
    const b = await openConsole('con_def_pick');
    const page = await b.get('/console/t/con_def_pick/defaults');
    expect(page.status).toBe(200);
    expect(page.html).toContain('Changes apply to new exports only.');

    const sales = element(page.html, 'select', 'f-sales_invoice_account');
    expect(sales).toContain('name="sales_invoice_account"');
    expect(optionValues(sales)).toEqual(expect.arrayContaining(['', '200', '260', '300', '090']));
    expect(sales).toContain('200 · Sales');
    expect(optionValues(sales)).not.toContain('495'); // archived in the sandbox chart
    expect(selected(sales)).toBe('');
    // Bank accounts only for payments.
    const bank = element(page.html, 'select', 'f-payments_bank_account');
    expect(optionValues(bank)).toEqual(['', '090']);
    // Every control has a label.
    for (const id of [...page.html.matchAll(/<(?:select|input)[^>]*\sid="(f-[^"]+)"/g)].map((m) => m[1])) {
      expect(page.html, `label for ${id}`).toContain(`for="${id}"`);
    }
    // Xero: the treatments as the organisation's own tax rates.
    expect(page.html).toContain('20% (VAT on Income)');
    expect(page.html).toContain('20% (VAT on Expenses)');
    // Account mappings: rows of category → account picker, with spare rows.
    const mapped = element(page.html, 'select', 'f-account_mappings-0-code');
    expect(optionValues(mapped)).toContain('310');
    expect(page.html).toContain('id="f-account_mappings-2-key"');
    expect(page.html).toContain('Refresh accounts and tax rates');
    // The live updates leave a form being filled in alone (console.js skips a region marked so).
    expect(page.html).toMatch(/<form method="post" action="\/console\/t\/con_def_pick\/defaults" class="defaults" novalidate data-live-refresh="off">/);

    const catalog = await h.database.db.selectFrom('provider_catalog').select(['kind', 'fetched_at']).where('tenant_id', '=', 'con_def_pick').orderBy('kind').execute();
    expect(catalog.map((r) => r.kind)).toEqual(['accounts', 'tax_rates']);
    // A second view reads the cache; refreshing asks Xero again.
    const accountCalls = () => sb.requests.filter((r) => /\/Accounts$/.test(r.path)).length;
    const before = accountCalls();
    await b.get('/console/t/con_def_pick/defaults');
    expect(accountCalls()).toBe(before);
    const refreshed = await b.post('/console/t/con_def_pick/defaults/refresh-catalog', {});
    expect(refreshed.status).toBe(303);
    expect(decodeURIComponent(refreshed.location ?? '')).toMatch(/notice=Read \d+ accounts and \d+ tax rates from Xero\./);
    expect(accountCalls()).toBe(before + 1);
    const after = await h.database.db.selectFrom('provider_catalog').select(['kind', 'fetched_at']).where('tenant_id', '=', 'con_def_pick').orderBy('kind').execute();
    expect(after[0]!.fetched_at.getTime()).toBeGreaterThan(catalog[0]!.fetched_at.getTime());
  });

  it('saving valid settings makes a new version and says it applies to new exports only', async () => {
    await connectXero(h, sb, 'con_def_save', 'Save Ltd');
    const b = await openConsole('con_def_save');
    const saved = await b.post('/console/t/con_def_save/defaults', validForm());
    expect(saved.status).toBe(303);
    const location = new URL(saved.location!, 'http://x');
    expect(location.pathname).toBe('/console/t/con_def_save/defaults');
    expect(location.searchParams.get('notice')).toBe('Saved as version 1. Changes apply to new exports only.');
    expect(await versions('con_def_save')).toEqual([
      {
        version: 1,
        settings: {
          sales_invoice_account: '200', purchase_bill_account: '300', payments_bank_account: '090', tax_treatment: 'output_tax', send_as: 'approved',
          auto_push_invoices: null, auto_create_bills: false, sync_payments: true, po_import_schedule: 'daily', tax_code_mappings: {}, account_mappings: { materials: '310' },
        },
      },
    ]);
    // The REST API sees the same version.
    const rest = await h.request('GET', '/v1/tenants/con_def_save/defaults', { token: await h.token('con_def_save') });
    expect(rest.body).toMatchObject({ version: 1, send_as: 'approved', account_mappings: { materials: '310' } });

    const shown = await b.get(`${location.pathname}${location.search}`);
    expect(shown.html).toContain('Saved as version 1. Changes apply to new exports only.');
    expect(selected(element(shown.html, 'select', 'f-sales_invoice_account'))).toBe('200');
    expect(selected(element(shown.html, 'select', 'f-send_as'))).toBe('approved');
    expect(element(shown.html, 'input', 'f-auto_create_bills')).not.toContain('checked');
    expect(element(shown.html, 'input', 'f-sync_payments')).toContain('checked');
    expect(element(shown.html, 'input', 'f-account_mappings-0-key')).toContain('value="materials"');

    // Removing the mapping (clearing its row) and ticking a box: version 2.
    const again = await b.post('/console/t/con_def_save/defaults', validForm({ 'account_mappings[0][key]': '', 'account_mappings[0][code]': '', auto_create_bills: 'true' }));
    expect(new URL(again.location!, 'http://x').searchParams.get('notice')).toBe('Saved as version 2. Changes apply to new exports only.');
    const rows = await versions('con_def_save');
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    expect(rows[1]!.settings).toMatchObject({ auto_create_bills: true, account_mappings: {} });
  });

  it('an account the organisation lacks is shown beside its field, 422, with what was typed kept', async () => {
    await connectXero(h, sb, 'con_def_bad', 'Bad Ltd');
    const b = await openConsole('con_def_bad');
    const refused = await b.post(
      '/console/t/con_def_bad/defaults',
      validForm({ sales_invoice_account: '999', 'account_mappings[0][code]': '777', 'tax_code_mappings[0][key]': 'twenty', 'tax_code_mappings[0][code]': '2' }),
    );
    // The schema refuses the tax rate first; nothing is saved.
    expect(refused.status).toBe(422);
    expect(element(refused.html, 'input', 'f-tax_code_mappings-0-key')).toContain('aria-invalid="true"');
    expect(words(element(refused.html, 'span', 'e-tax_code_mappings-0-key'))).toContain('Enter a tax rate as a number');

    const bad = await b.post('/console/t/con_def_bad/defaults', validForm({ sales_invoice_account: '999', 'account_mappings[0][code]': '777' }));
    expect(bad.status).toBe(422);
    const sales = element(bad.html, 'select', 'f-sales_invoice_account');
    expect(sales).toContain('aria-invalid="true"');
    expect(sales).toMatch(/aria-describedby="[^"]*\be-sales_invoice_account\b/);
    expect(selected(sales)).toBe('999');
    expect(words(element(bad.html, 'span', 'e-sales_invoice_account'))).toContain('The organisation has no account with code "999".');
    // The error sits in the sales account's own field block, before the next field.
    const block = bad.html.slice(bad.html.indexOf('<label for="f-sales_invoice_account"'), bad.html.indexOf('<label for="f-purchase_bill_account"'));
    expect(block).toContain('id="e-sales_invoice_account"');
    // A mapping's account: beside that row.
    const mapped = element(bad.html, 'select', 'f-account_mappings-0-code');
    expect(mapped).toContain('aria-invalid="true"');
    expect(selected(mapped)).toBe('777');
    expect(words(element(bad.html, 'span', 'e-account_mappings-0-code'))).toContain('no account with code "777"');
    // Untouched fields keep what was sent, and are not marked.
    const purchases = element(bad.html, 'select', 'f-purchase_bill_account');
    expect(selected(purchases)).toBe('300');
    expect(purchases).not.toContain('aria-invalid');
    expect(selected(element(bad.html, 'select', 'f-send_as'))).toBe('approved');
    expect(selected(element(bad.html, 'select', 'f-po_import_schedule'))).toBe('daily');
    expect(element(bad.html, 'input', 'f-account_mappings-0-key')).toContain('value="materials"');
    // The summary at the top links to each field.
    const summary = bad.html.slice(bad.html.indexOf('class="error-summary"'), bad.html.indexOf('</div>', bad.html.indexOf('class="error-summary"')));
    expect(summary).toContain('There are 2 problems');
    expect(summary).toContain('href="#f-sales_invoice_account"');
    expect(summary).toContain('href="#f-account_mappings-0-code"');
    expect(bad.html).toContain('Changes apply to new exports only.');
    expect(await versions('con_def_bad')).toEqual([]);

    // Half a row is refused beside the half that is missing.
    const half = await b.post('/console/t/con_def_bad/defaults', validForm({ 'account_mappings[1][key]': 'labour' }));
    expect(half.status).toBe(422);
    expect(words(element(half.html, 'span', 'e-account_mappings-1-code'))).toContain('Choose the account for line category "labour"');
    expect(await versions('con_def_bad')).toEqual([]);
  });

  it('a form without the CSRF token is refused, 403, and saves nothing', async () => {
    await connectXero(h, sb, 'con_def_csrf', 'Csrf Ltd');
    const b = await openConsole('con_def_csrf');
    const missing = await b.post('/console/t/con_def_csrf/defaults', validForm(), { csrf: null });
    expect(missing.status).toBe(403);
    const wrong = await b.post('/console/t/con_def_csrf/defaults', validForm(), { csrf: `${b.csrf}x` });
    expect(wrong.status).toBe(403);
    expect((await b.post('/console/t/con_def_csrf/defaults/refresh-catalog', {}, { csrf: null })).status).toBe(403);
    expect((await b.post('/console/t/con_def_csrf/runs/import', { kind: 'contacts', dry_run: '1' }, { csrf: null })).status).toBe(403);
    expect(await versions('con_def_csrf')).toEqual([]);
    expect(await h.database.db.selectFrom('sync_runs').select('id').where('tenant_id', '=', 'con_def_csrf').execute()).toEqual([]);
  });

  it('without a connection the form has free-text inputs and says pickers come with one', async () => {
    const b = await openConsole('con_def_free');
    const page = await b.get('/console/t/con_def_free/defaults');
    expect(page.status).toBe(200);
    expect(page.html).toContain('pickers with the organisation');
    expect(page.html).toMatch(/<input type="text" id="f-sales_invoice_account" name="sales_invoice_account"/);
    expect(page.html).not.toContain('Refresh accounts and tax rates');
    expect(page.html).toContain('Changes apply to new exports only.');
    const saved = await b.post('/console/t/con_def_free/defaults', validForm({ sales_invoice_account: '4000', 'tax_code_mappings[0][key]': '20.0', 'tax_code_mappings[0][code]': 'TX20' }));
    expect(saved.status).toBe(303);
    expect((await versions('con_def_free'))[0]!.settings).toMatchObject({ sales_invoice_account: '4000', tax_code_mappings: { '20': 'TX20' } });
    // The same rate twice is refused on the second row.
    const twice = await b.post('/console/t/con_def_free/defaults', validForm({ 'tax_code_mappings[0][key]': '20', 'tax_code_mappings[0][code]': 'A', 'tax_code_mappings[1][key]': '20.00', 'tax_code_mappings[1][code]': 'B' }));
    expect(twice.status).toBe(422);
    expect(words(element(twice.html, 'span', 'e-tax_code_mappings-1-key'))).toContain('already in row 1');
  });
});

describe('sync history page', () => {
  it("lists push runs with their counts, and a run's page has each item's outcome in the provider's words", async () => {
    const { token } = await connectXero(h, sb, 'con_runs', 'Runs Ltd');
    await h.request('PUT', '/v1/tenants/con_runs/defaults', { token, body: { sales_invoice_account: '200', purchase_bill_account: '300' } });
    // Xero refuses a second sales invoice with the same number.
    for (const id of ['inv_runs_1', 'inv_runs_2']) {
      await h.sendOps(shippedInvoice({ tenantId: 'con_runs', id }));
      await h.runJobs();
      await h.runJobs();
    }
    const runs = await h.database.db.selectFrom('sync_runs').select(['id', 'failed']).where('tenant_id', '=', 'con_runs').where('kind', '=', 'push').orderBy('seq').execute();
    expect(runs.map((r) => r.failed)).toEqual([0, 1]);

    const b = await openConsole('con_runs');
    const list = await b.get('/console/t/con_runs/runs');
    expect(list.status).toBe(200);
    // Newest first: the failed push, then the one that synced.
    const rowIds = [...list.html.matchAll(/<tr data-run-id="([^"]+)"/g)].map((m) => m[1]);
    expect(rowIds).toEqual([runs[1]!.id, runs[0]!.id]);
    const failedRow = list.html.slice(list.html.indexOf(`data-run-id="${runs[1]!.id}"`), list.html.indexOf('</tr>', list.html.indexOf(`data-run-id="${runs[1]!.id}"`)));
    expect(failedRow).toContain('Push');
    expect(failedRow).toContain('1 total');
    expect(failedRow).toContain('1 failed');
    expect(words(failedRow)).toContain('Invoice # must be unique.');
    expect(failedRow).toContain(`href="/console/t/con_runs/runs/${runs[1]!.id}"`);
    expect(list.html).toContain('Import contacts');
    expect(list.html).toContain('Import purchase orders');

    const detail = await b.get(`/console/t/con_runs/runs/${runs[1]!.id}`);
    expect(detail.status).toBe(200);
    expect(detail.html).toContain('data-outcome="failed"');
    expect(words(detail.html)).toContain('Invoice # must be unique.');
    expect(detail.html).toContain('Document attempts');
    expect(detail.html).toMatch(/sales invoice INV-1001/);
    const docId = (await h.database.db.selectFrom('documents').select('id').where('tenant_id', '=', 'con_runs').where('source_id', '=', 'inv_runs_2').executeTakeFirstOrThrow()).id;
    expect(detail.html).toContain(`href="/console/t/con_runs/documents/${docId}"`);

    expect((await b.get('/console/t/con_runs/runs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await b.get('/console/t/con_runs/runs/not-a-run')).status).toBe(404);
    // Another tenant's run is not found either.
    const other = await openConsole('con_runs_other');
    expect((await other.get(`/console/t/con_runs_other/runs/${runs[1]!.id}`)).status).toBe(404);
  });

  it('an import starts as a dry run whose count is shown; only then is the real run offered', async () => {
    const { org } = await connectXero(h, sb, 'con_import', 'Import Ltd');
    sb.addContacts(org.OrganisationID, [
      { Name: 'Alpha Ltd', IsCustomer: true, ContactStatus: 'ACTIVE' },
      { Name: 'Beta Ltd', IsSupplier: true, ContactStatus: 'ACTIVE' },
      { Name: 'Gamma Ltd', IsCustomer: true, ContactStatus: 'ACTIVE' },
    ]);
    const runsOf = () => h.database.db.selectFrom('sync_runs').select(['id', 'kind', 'dry_run', 'status']).where('tenant_id', '=', 'con_import').orderBy('seq').execute();
    const b = await openConsole('con_import');
    const panel = (html: string) => html.slice(html.indexOf('id="import-contacts"'), html.indexOf('</section>', html.indexOf('id="import-contacts"')));

    // A real run is refused before a dry run has counted.
    const early = await b.post('/console/t/con_import/runs/import', { kind: 'contacts', dry_run: '0' });
    expect(early.status).toBe(303);
    expect(decodeURIComponent(early.location!)).toContain('start with the dry run');
    expect(await runsOf()).toEqual([]);

    const start = await b.post('/console/t/con_import/runs/import', { kind: 'contacts', dry_run: '1' });
    expect(start.status).toBe(303);
    expect(new URL(start.location!, 'http://x').searchParams.get('notice')).toContain('Dry run queued');
    expect(await runsOf()).toEqual([expect.objectContaining({ kind: 'contact_import', dry_run: true, status: 'queued' })]);
    const queued = await b.get('/console/t/con_import/runs');
    expect(panel(queued.html)).toContain('data-import-state="counting"');
    expect(panel(queued.html)).not.toContain('name="dry_run" value="0"');

    await h.runJobs();
    const counted = await b.get('/console/t/con_import/runs');
    const offer = panel(counted.html);
    expect(offer).toContain('data-import-state="counted"');
    expect(offer).toContain('would import 3 contacts');
    expect(offer).toContain('name="dry_run" value="0"');
    const dryRunId = /name="dry_run_id" value="([^"]+)"/.exec(offer)?.[1];
    expect(dryRunId).toBe((await runsOf())[0]!.id);
    expect(await h.database.db.selectFrom('contacts').select('name').where('tenant_id', '=', 'con_import').execute()).toEqual([]);

    const real = await b.post('/console/t/con_import/runs/import', { kind: 'contacts', dry_run: '0', dry_run_id: dryRunId! });
    expect(real.status).toBe(303);
    expect(new URL(real.location!, 'http://x').searchParams.get('notice')).toContain('Import of contacts queued');
    expect((await runsOf()).map((r) => [r.dry_run, r.status])).toEqual([[true, 'succeeded'], [false, 'queued']]);
    expect(panel((await b.get('/console/t/con_import/runs')).html)).toContain('data-import-state="importing"');

    await h.runJobs();
    expect((await runsOf()).map((r) => [r.dry_run, r.status])).toEqual([[true, 'succeeded'], [false, 'succeeded']]);
    const names = (await h.database.db.selectFrom('contacts').select('name').where('tenant_id', '=', 'con_import').orderBy('name').execute()).map((c) => c.name);
    expect(names).toEqual(['Alpha Ltd', 'Beta Ltd', 'Gamma Ltd']);
    const done = await b.get('/console/t/con_import/runs');
    expect(panel(done.html)).toContain('Import contacts');
    expect(panel(done.html)).toContain('name="dry_run" value="1"');
    expect(done.html).toContain('Contact import (dry run)');
    expect(done.html).toContain('3 succeeded');
  });

  it('without a connection the imports are not offered, and a posted one is refused with a notice', async () => {
    const b = await openConsole('con_import_none');
    const page = await b.get('/console/t/con_import_none/runs');
    expect(page.status).toBe(200);
    expect(page.html).toContain('Nothing has been synced yet.');
    expect(page.html).toContain('Connect to an accounting system to import contacts.');
    const refused = await b.post('/console/t/con_import_none/runs/import', { kind: 'purchase_orders', dry_run: '1' });
    expect(refused.status).toBe(303);
    expect(new URL(refused.location!, 'http://x').searchParams.get('notice')).toContain('Not started');
  });
});

describe('posting defaults page, QuickBooks', () => {
  let qbo: ProviderFixture;
  let qboApp: App;
  beforeAll(async () => {
    qbo = await quickBooksFixture();
    qboApp = createApp(qbo.h.ctx);
  });
  afterAll(async () => {
    await qbo.close();
  });

  it("maps tax rates to the company's tax codes with pickers, and refuses a code it lacks beside its row", async () => {
    await qbo.connect('con_qbo');
    const b = await openConsole('con_qbo', { h: qbo.h, app: qboApp });
    const page = await b.get('/console/t/con_qbo/defaults');
    expect(page.status).toBe(200);
    // Accounts by id; bank accounts (type Bank) only for payments.
    expect(optionValues(element(page.html, 'select', 'f-sales_invoice_account'))).toEqual(expect.arrayContaining(['79', '1', '78']));
    expect(optionValues(element(page.html, 'select', 'f-payments_bank_account'))).toEqual(['', '35']);
    // Tax codes from the company's own list, in every row.
    const code = element(page.html, 'select', 'f-tax_code_mappings-0-code');
    expect(optionValues(code)).toEqual(['', '2', '3', '4', '5', '6']);
    expect(code).toContain('20.0% S (20%)');
    expect(page.html).toContain('<datalist id="qbo-rates">');

    const form = {
      ...validForm({ sales_invoice_account: '79', purchase_bill_account: '78', payments_bank_account: '35', 'account_mappings[0][code]': '80' }),
      'tax_code_mappings[0][key]': '20', 'tax_code_mappings[0][code]': '2',
      'tax_code_mappings[1][key]': '5', 'tax_code_mappings[1][code]': '99',
    };
    const bad = await b.post('/console/t/con_qbo/defaults', form);
    expect(bad.status).toBe(422);
    const row = element(bad.html, 'select', 'f-tax_code_mappings-1-code');
    expect(row).toContain('aria-invalid="true"');
    expect(selected(row)).toBe('99');
    expect(words(element(bad.html, 'span', 'e-tax_code_mappings-1-code'))).toContain('The company has no tax code "99".');
    expect(element(bad.html, 'select', 'f-tax_code_mappings-0-code')).not.toContain('aria-invalid');
    expect(selected(element(bad.html, 'select', 'f-tax_code_mappings-0-code'))).toBe('2');

    const ok = await b.post('/console/t/con_qbo/defaults', { ...form, 'tax_code_mappings[1][code]': '3' });
    expect(ok.status).toBe(303);
    const saved = await qbo.h.database.db.selectFrom('posting_defaults').select(['version', 'settings']).where('tenant_id', '=', 'con_qbo').execute();
    expect(saved).toEqual([{ version: 1, settings: expect.objectContaining({ tax_code_mappings: { '20': '2', '5': '3' }, payments_bank_account: '35', account_mappings: { materials: '80' } }) }]);
  });
});

describe('connection page', () => {
  it('offers a choice when several organisations were authorised, and connects the one chosen; disconnect holds what comes next', async () => {
    const first = sb.addOrganisation({ name: 'Choice North Ltd', region: 'UK' });
    const second = sb.addOrganisation({ name: 'Choice South Ltd', region: 'UK' });
    sb.setConsent({ organisations: [first.OrganisationID, second.OrganisationID] });
    const b = await openConsole('con_choose');
    // Connect from the console: Ledgerport sends the browser to the provider, which comes back through /console/return.
    const started = await b.post('/console/t/con_choose/connection/connect', { provider: 'xero' });
    expect(started.status).toBe(303);
    const consent = await fetch(started.location!, { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location')!);
    const back = await app.request(`${callback.pathname}${callback.search}`);
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toContain('/console/return?to=%2Fconsole%2Ft%2Fcon_choose%2Fconnection&status=pending');

    const pending = await b.get('/console/t/con_choose/connection?status=pending');
    expect(pending.html).toContain('Several organisations were authorised: choose the one to use.');
    expect(pending.html).toContain('data-connection-status="pending"');
    expect(pending.html).toContain(`value="${second.OrganisationID}"`);
    const chosen = await b.post('/console/t/con_choose/connection/organisation', { organisation_id: second.OrganisationID });
    expect(chosen.status).toBe(303);
    const connected = await b.get(chosen.location!);
    expect(connected.html).toContain('data-connection-status="connected"');
    expect(connected.html).toContain('Choice South Ltd');
    const row = await h.database.db.selectFrom('connections').select(['status', 'provider_org_id']).where('tenant_id', '=', 'con_choose').executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'connected', provider_org_id: second.OrganisationID });
    // Nothing about the tokens is on the page.
    expect(connected.html).not.toMatch(/access_token|refresh_token|eyJ[A-Za-z0-9_-]{20,}/);

    const gone = await b.post('/console/t/con_choose/connection/disconnect', {});
    expect(decodeURIComponent(gone.location ?? '')).toContain('Disconnected.');
    expect((await h.database.db.selectFrom('connections').select('status').where('tenant_id', '=', 'con_choose').executeTakeFirstOrThrow()).status).toBe('disconnected');
    expect((await b.get('/console/t/con_choose/connection')).html).toContain('Connect to Xero');
  });
});
