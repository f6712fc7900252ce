import { Hono } from 'hono';
import { html } from 'hono/html';
import { ConnectionUnavailableError, openSession } from '../../connections/session.ts';
import type { AppContext } from '../../context.ts';
import type { ProviderName } from '../../db/schema.ts';
import { AppError } from '../../errors.ts';
import { TAX_TREATMENTS } from '../../documents/posting-defaults.ts';
import { CAPABILITIES } from '../../providers/capabilities.ts';
import { CATALOG_MAX_AGE_MS, cachedCatalog } from '../../providers/catalog.ts';
import { ProviderError, type AccountingProvider, type ProviderAccount, type ProviderTaxRate } from '../../providers/types.ts';
import { chooseTaxType } from '../../providers/xero/tax.ts';
import { defaultsProblems } from '../../sync/check-defaults.ts';
import { currentDefaults, saveDefaults, type VersionedDefaults } from '../../sync/defaults.ts';
import type { ConsoleEnv } from '../app.ts';
import { csrfField, page, tenantBase, when, type Html } from '../layout.ts';
import type { ConsoleSession } from '../sessions.ts';
import {
  controlId,
  parseDefaultsForm,
  problemErrors,
  rowErrorKey,
  rowInputName,
  stateFromForm,
  stateFromSettings,
  type DefaultsFormState,
  type FieldErrors,
  type MapField,
  type MappingRow,
} from './defaults-form.ts';

const TITLES: Record<ProviderName, string> = { xero: 'Xero', quickbooks: 'QuickBooks Online' };
/** Empty rows under each map, for adding entries without script. */
const SPARE_ROWS = 3;

const TREATMENTS: Record<(typeof TAX_TREATMENTS)[number], string> = {
  output_tax: 'Standard rate',
  output_tax_reduced: 'Reduced rate',
  zero_rated: 'Zero rated',
  exempt: 'Exempt',
  no_tax: 'No tax',
};
const SEND_AS = { draft: 'Draft', approved: 'Approved' } as const;
const RECONCILE_SCHEDULES = { off: 'Never (reconcile by hand)', daily: 'Once a day', weekly: 'Once a week' } as const;
const SCHEDULES = { off: 'Never (import by hand)', hourly: 'Every hour', every_6_hours: 'Every 6 hours', daily: 'Once a day' } as const;

const LABELS: Record<string, string> = {
  sales_invoice_account: 'Sales invoice account',
  purchase_bill_account: 'Supplier bill account',
  payments_bank_account: 'Bank account for payments and refunds',
  rounding_account: 'Rounding account',
  tax_treatment: 'Tax treatment',
  send_as: 'Send invoices and bills as',
  auto_push_invoices: 'Send sales invoices and credit notes automatically',
  auto_create_bills: 'Create supplier bills automatically',
  sync_payments: 'Send payments and refunds recorded on the platform',
  po_import_schedule: 'Import purchase orders',
  reconcile_schedule: 'Reconcile with the provider',
  tax_code_mappings: 'QuickBooks tax code for each tax rate',
  account_mappings: 'Account for each line category',
  form: 'Posting defaults',
};
const ROW_WORDS: Record<MapField, { key: string; code: string }> = {
  tax_code_mappings: { key: 'Tax rate (%)', code: 'Tax code' },
  account_mappings: { key: 'Line category', code: 'Account' },
};

// ---- the organisation's accounts and tax rates --------------------------------------------

interface Catalog {
  readonly accounts: readonly ProviderAccount[];
  readonly taxRates: readonly ProviderTaxRate[];
  readonly fetchedAt: Date;
}

interface Organisation {
  /** The provider of a connected tenant this gateway can talk to; otherwise null (free-text inputs). */
  readonly provider: ProviderName | null;
  readonly orgName: string | null;
  /** Why there are no pickers, or why the lists shown may be old. */
  readonly note: string | null;
  readonly catalog: Catalog | null;
}

const failureWords = (error: unknown) =>
  error instanceof ConnectionUnavailableError ? `the connection is ${error.status.replace(/_/g, ' ')}` : (error as Error).message;

/**
 * The connected organisation's accounts and tax rates, as cached in provider_catalog (the same
 * lists defaultsProblems checks against). The provider is asked only when a list is missing or
 * older than a day, or when `refresh` says so; if it cannot answer, older cached lists are used.
 */
async function loadOrganisation(ctx: AppContext, tenantId: string, opts: { refresh?: boolean } = {}): Promise<Organisation & { failed?: boolean }> {
  const connection = await ctx.db.selectFrom('connections').select(['provider', 'status', 'provider_org_name']).where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!connection || connection.status === 'disconnected') return { provider: null, orgName: null, note: null, catalog: null };
  const provider: AccountingProvider | undefined = ctx.services.providers[connection.provider];
  if (connection.status !== 'connected' || !provider) {
    const why = !provider ? `this gateway has no ${TITLES[connection.provider]} credentials` : `the connection is ${connection.status.replace(/_/g, ' ')}`;
    return { provider: null, orgName: connection.provider_org_name, note: `The organisation's accounts cannot be read: ${why}.`, catalog: null };
  }
  const cached = await ctx.db.selectFrom('provider_catalog').select(['kind', 'data', 'fetched_at']).where('tenant_id', '=', tenantId).where('kind', 'in', ['accounts', 'tax_rates']).execute();
  const accounts = cached.find((r) => r.kind === 'accounts');
  const taxRates = cached.find((r) => r.kind === 'tax_rates');
  const stale: Catalog | null = accounts && taxRates
    ? { accounts: accounts.data as ProviderAccount[], taxRates: taxRates.data as ProviderTaxRate[], fetchedAt: accounts.fetched_at < taxRates.fetched_at ? accounts.fetched_at : taxRates.fetched_at }
    : null;
  const base = { provider: connection.provider, orgName: connection.provider_org_name };
  if (!opts.refresh && stale && Date.now() - stale.fetchedAt.getTime() < CATALOG_MAX_AGE_MS) return { ...base, note: null, catalog: stale };
  try {
    const session = await openSession(ctx.providerDeps, provider, tenantId);
    const [a, t] = await Promise.all([
      cachedCatalog(ctx.db, provider.records, session, 'accounts', { refresh: opts.refresh }),
      cachedCatalog(ctx.db, provider.records, session, 'tax_rates', { refresh: opts.refresh }),
    ]);
    return { ...base, note: null, catalog: { accounts: a.data, taxRates: t.data, fetchedAt: a.fetchedAt < t.fetchedAt ? a.fetchedAt : t.fetchedAt } };
  } catch (error) {
    if (!(error instanceof ProviderError) && !(error instanceof ConnectionUnavailableError)) throw error;
    ctx.logger.child({ subsystem: 'console' }).warn({ tenantId, err: failureWords(error) }, 'accounts and tax rates could not be read');
    const note = stale
      ? `${TITLES[connection.provider]} could not be asked again (${failureWords(error)}): the lists below were read earlier.`
      : `${TITLES[connection.provider]} could not be asked for the organisation's accounts (${failureWords(error)}): type codes yourself, or refresh later.`;
    return { ...base, note, catalog: stale, failed: true };
  }
}

// ---- rendering ----------------------------------------------------------------------------

const option = (value: string, label: string, selected: boolean) => html`<option value="${value}"${selected ? ' selected' : ''}>${label}</option>`;

const TYPE_WORDS: Record<string, string> = {
  BANK: 'Bank', REVENUE: 'Revenue', SALES: 'Sales', OTHERINCOME: 'Other income', DIRECTCOSTS: 'Direct costs', EXPENSE: 'Expenses',
  OVERHEADS: 'Overheads', DEPRECIATN: 'Depreciation', CURRENT: 'Current assets', FIXED: 'Fixed assets', NONCURRENT: 'Non-current assets',
  PREPAYMENT: 'Prepayments', INVENTORY: 'Inventory', CURRLIAB: 'Current liabilities', LIABILITY: 'Liabilities', TERMLIAB: 'Non-current liabilities',
  EQUITY: 'Equity', PAYGLIABILITY: 'PAYG liabilities', SUPERANNUATIONEXPENSE: 'Superannuation', SUPERANNUATIONLIABILITY: 'Superannuation liabilities', WAGESEXPENSE: 'Wages',
};
const typeWords = (type: string) => TYPE_WORDS[type] ?? (type === '' ? 'Other' : type);
const isBank = (a: ProviderAccount) => a.type.toLowerCase() === 'bank';
const accountLabel = (provider: ProviderName, a: ProviderAccount) => (provider === 'quickbooks' ? `${a.name} (id ${a.code})` : `${a.code} · ${a.name}`);

/**
 * The account picker's options, grouped by account type (the likeliest types first). A value
 * that is not one of the organisation's active accounts stays selectable, so nothing is lost
 * and its error has something to point at.
 */
function accountOptions(provider: ProviderName, accounts: readonly ProviderAccount[], value: string, opts: { only?: (a: ProviderAccount) => boolean; prefer?: RegExp; what: string }): Html {
  const usable = accounts.filter((a) => a.status === 'active' && (!opts.only || opts.only(a)));
  const groups = new Map<string, ProviderAccount[]>();
  for (const a of usable) groups.set(typeWords(a.type), [...(groups.get(typeWords(a.type)) ?? []), a]);
  const ordered = [...groups.entries()].sort(([a], [b]) => Number(opts.prefer?.test(b) ?? 0) - Number(opts.prefer?.test(a) ?? 0));
  let extra: Html | string = '';
  if (value !== '' && !usable.some((a) => a.code === value)) {
    const known = accounts.find((a) => a.code === value);
    const why = !known ? "not one of the organisation's accounts" : known.status !== 'active' ? 'archived' : `not ${opts.what}`;
    extra = option(value, `${known ? accountLabel(provider, known) : value} (${why})`, true);
  }
  return html`${extra}${ordered.map(([type, list]) => html`<optgroup label="${type}">${list.map((a) => option(a.code, accountLabel(provider, a), a.code === value))}</optgroup>`)}`;
}

function taxCodeOptions(taxRates: readonly ProviderTaxRate[], value: string): Html {
  const usable = taxRates.filter((r) => r.status === 'active');
  let extra: Html | string = '';
  if (value !== '' && !usable.some((r) => r.code === value)) {
    const known = taxRates.find((r) => r.code === value);
    extra = option(value, known ? `${known.name} (${known.rate}%, inactive)` : `${value} (not one of the company's tax codes)`, true);
  }
  return html`${extra}${usable.map((r) => option(r.code, `${r.name} (${r.rate}%)`, r.code === value))}`;
}

/** aria-describedby, aria-invalid and the error text of one control. */
function describe(errorKey: string, errors: FieldErrors, hint: boolean) {
  const id = errorKey.replace(/\./g, '-');
  const messages = errors.get(errorKey) ?? [];
  const ids = [hint ? `h-${id}` : '', messages.length ? `e-${id}` : ''].filter(Boolean).join(' ');
  return {
    attrs: html`${ids ? html` aria-describedby="${ids}"` : ''}${messages.length ? html` aria-invalid="true"` : ''}`,
    hintId: `h-${id}`,
    message: messages.length ? html`<span class="field-error" id="e-${id}"><span class="visually-hidden">Error: </span>${messages.join(' ')}</span>` : '',
    invalid: messages.length > 0,
  };
}

/** One labelled control: label, the error beside it, the control, and a hint. */
function field(name: string, errors: FieldErrors, hint: Html | string | null, control: (attrs: Html) => Html): Html {
  const d = describe(name, errors, hint !== null);
  return html`<div class="field${d.invalid ? ' invalid' : ''}"><label for="${controlId(name)}">${LABELS[name] ?? name}</label>${d.message}${control(html`id="${controlId(name)}" name="${name}"${d.attrs}`)}${hint !== null ? html`<small class="hint" id="${d.hintId}">${hint}</small>` : ''}</div>`;
}

function checkboxField(name: 'auto_create_bills' | 'sync_payments', value: boolean, errors: FieldErrors, hint: string): Html {
  const d = describe(name, errors, true);
  return html`<div class="field${d.invalid ? ' invalid' : ''}">${d.message}<label class="choice" for="${controlId(name)}"><input type="checkbox" id="${controlId(name)}" name="${name}" value="true"${value ? ' checked' : ''}${d.attrs}> ${LABELS[name]}</label><small class="hint" id="${d.hintId}">${hint}</small></div>`;
}

function accountField(org: Organisation, name: 'sales_invoice_account' | 'purchase_bill_account' | 'payments_bank_account' | 'rounding_account', value: string, errors: FieldErrors, hint: string, opts: { only?: (a: ProviderAccount) => boolean; prefer?: RegExp; none: string; what: string }): Html {
  const catalog = org.catalog;
  if (!catalog || !org.provider) {
    return field(name, errors, `${hint} Type the account code.`, (attrs) => html`<input type="text" ${attrs} value="${value}" maxlength="50" autocomplete="off" spellcheck="false">`);
  }
  const provider = org.provider;
  return field(name, errors, hint, (attrs) => html`<select ${attrs}>${option('', opts.none, value === '')}${accountOptions(provider, catalog.accounts, value, opts)}</select>`);
}

/** Xero: what each tax treatment becomes, from the organisation's own tax rates. */
function xeroTreatments(catalog: Catalog): Html {
  const rates = catalog.taxRates.map((r) => ({
    taxType: r.code, name: r.name, status: r.status === 'active' ? 'ACTIVE' : 'ARCHIVED',
    effectiveRate: r.rate, canApplyToRevenue: r.appliesToSales, canApplyToExpenses: r.appliesToPurchases,
  }));
  const cell = (treatment: (typeof TAX_TREATMENTS)[number], side: 'revenue' | 'expenses') => {
    const chosen = chooseTaxType(rates, { treatment, side });
    if ('error' in chosen) return html`<td><span class="provider-error">none available</span></td>`;
    const rate = rates.find((r) => r.taxType === chosen.taxType);
    return html`<td>${rate?.name ?? chosen.taxType} <small>(${chosen.taxType})</small></td>`;
  };
  return html`<table class="treatments"><caption>What each treatment becomes in this organisation, from its tax rates</caption>
<thead><tr><th scope="col">Treatment</th><th scope="col">Sales</th><th scope="col">Purchases</th></tr></thead>
<tbody>${TAX_TREATMENTS.map((t) => html`<tr><th scope="row">${TREATMENTS[t]}</th>${cell(t, 'revenue')}${cell(t, 'expenses')}</tr>`)}</tbody></table>`;
}

function mappingRows(org: Organisation, field: MapField, rows: readonly MappingRow[], errors: FieldErrors): Html {
  const words = ROW_WORDS[field];
  const all = [...rows, ...Array.from({ length: SPARE_ROWS }, () => ({ key: '', code: '' }))];
  const catalog = org.catalog;
  const provider = org.provider;
  const pickers = catalog && provider && (field === 'account_mappings' || provider === 'quickbooks');
  const cell = (index: number, part: 'key' | 'code', control: (attrs: Html) => Html) => {
    const d = describe(rowErrorKey(field, index, part), errors, false);
    const id = controlId(field, index, part);
    return html`<td><label class="visually-hidden" for="${id}">${words[part]}, row ${index + 1}</label>${d.message}${control(html`id="${id}" name="${rowInputName(field, index, part)}"${d.attrs}`)}</td>`;
  };
  const rates = field === 'tax_code_mappings' && catalog && provider === 'quickbooks' ? [...new Set(catalog.taxRates.filter((r) => r.status === 'active').map((r) => String(r.rate)))] : [];
  return html`<table class="rows"><thead><tr><th scope="col">${words.key}</th><th scope="col">${words.code}</th></tr></thead>
<tbody>${all.map((row, index) => html`<tr>
${cell(index, 'key', (attrs) => field === 'tax_code_mappings'
    ? html`<input type="text" ${attrs} value="${row.key}" inputmode="decimal" maxlength="8" size="8" autocomplete="off"${rates.length ? html` list="qbo-rates"` : ''}>`
    : html`<input type="text" ${attrs} value="${row.key}" maxlength="100" autocomplete="off">`)}
${cell(index, 'code', (attrs) => !pickers
    ? html`<input type="text" ${attrs} value="${row.code}" maxlength="50" autocomplete="off" spellcheck="false">`
    : field === 'account_mappings'
      ? html`<select ${attrs}>${option('', '(no account: clear the row)', row.code === '')}${accountOptions(provider, catalog.accounts, row.code, { what: 'an account' })}</select>`
      : html`<select ${attrs}>${option('', '(no tax code: clear the row)', row.code === '')}${taxCodeOptions(catalog.taxRates, row.code)}</select>`)}
</tr>`)}</tbody></table>${rates.length ? html`<datalist id="qbo-rates">${rates.map((r) => html`<option value="${r}"></option>`)}</datalist>` : ''}`;
}

function mapFieldset(org: Organisation, name: MapField, rows: readonly MappingRow[], errors: FieldErrors, intro: Html | string): Html {
  const d = describe(name, errors, true);
  return html`<fieldset id="${controlId(name)}"${d.attrs}><legend>${LABELS[name]}</legend><p class="hint" id="${d.hintId}">${intro}</p>${d.message}${mappingRows(org, name, rows, errors)}</fieldset>`;
}

function errorSummary(errors: FieldErrors): Html | string {
  if (errors.size === 0) return '';
  const entries = [...errors.entries()];
  const count = entries.reduce((n, [, messages]) => n + messages.length, 0);
  const where = (key: string) => {
    const row = /^(tax_code_mappings|account_mappings)\.(\d+)\.(key|code)$/.exec(key);
    if (row) {
      const [, mapName, index, part] = row as unknown as [string, MapField, string, 'key' | 'code'];
      return { href: `#${controlId(mapName, Number(index), part)}`, label: `${LABELS[mapName]}, row ${Number(index) + 1}, ${ROW_WORDS[mapName][part].toLowerCase()}` };
    }
    return { href: key in LABELS && key !== 'form' ? `#${controlId(key)}` : null, label: LABELS[key] ?? key };
  };
  return html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
<h2 id="error-summary-title">${count === 1 ? 'There is a problem' : `There are ${count} problems`}: these defaults were not saved</h2>
<ul>${entries.flatMap(([key, messages]) => {
    const w = where(key);
    return messages.map((m) => html`<li>${w.href ? html`<a href="${w.href}">${w.label}</a>` : w.label}: ${m}</li>`);
  })}</ul></div>`;
}

function defaultsForm(session: ConsoleSession, base: string, org: Organisation, state: DefaultsFormState, errors: FieldErrors, current: VersionedDefaults): Html {
  const provider = org.provider;
  const catalog = org.catalog;
  const pickers = catalog !== null && provider !== null;
  const autoDefault = provider
    ? `${TITLES[provider]}'s default (${CAPABILITIES[provider].autoPushInvoicesDefault ? 'yes' : 'no'})`
    : `The provider's default (yes for Xero, no for QuickBooks)`;
  const taxIntro = provider === 'xero'
    ? 'Xero does not use these: it takes the tax rate from the tax treatment above. Kept for a QuickBooks connection.'
    : provider === 'quickbooks'
      ? html`A taxable line is sent with the tax code mapped to its tax rate; a document with a rate not listed here is refused. Add a row for every rate your documents use${pickers ? ' (the codes are the company\'s own)' : ''}.`
      : 'QuickBooks: a line\'s tax rate (such as 20) → the company\'s tax code id. Xero uses the tax treatment instead.';
  return html`<form method="post" action="${base}/defaults" class="defaults" novalidate data-live-refresh="off">
${csrfField(session)}
<fieldset><legend>Accounts</legend><div class="form-grid">
${accountField(org, 'sales_invoice_account', state.sales_invoice_account, errors, 'Lines of sales invoices and credit notes post here, unless their category has an account of its own below.', { none: '(none: every line names its account)', prefer: /revenue|income|sales/i, what: 'an account' })}
${accountField(org, 'purchase_bill_account', state.purchase_bill_account, errors, 'Lines of supplier bills post here, unless their category has an account of its own below.', { none: '(none: every line names its account)', prefer: /expense|cost|overhead|purchase/i, what: 'an account' })}
${accountField(org, 'payments_bank_account', state.payments_bank_account, errors, `Payments and refunds go through this account unless the platform names one${provider === 'quickbooks' ? ' (QuickBooks: the account id)' : ''}.`, { only: isBank, none: '(none: the platform names one each time)', what: 'a bank account' })}
${accountField(org, 'rounding_account', state.rounding_account, errors, 'When the provider cannot keep the platform\'s total to the cent (such as a JPY total, or a third decimal), the difference goes to this account as a rounding line; without one such a document is refused before sending.', { none: '(none: refuse such documents)', prefer: /rounding/i, what: 'an account' })}
</div>${pickers && !catalog.accounts.some((a) => a.status === 'active' && isBank(a)) ? html`<p class="hint">The organisation has no active bank account.</p>` : ''}</fieldset>
<fieldset><legend>Tax</legend><div class="form-grid">
${field('tax_treatment', errors, provider === 'quickbooks' ? 'QuickBooks uses the tax codes by rate below instead.' : 'Xero chooses the organisation\'s tax rate for it; a line with its own rate gets the rate of that percentage.', (attrs) => html`<select ${attrs}>${TAX_TREATMENTS.includes(state.tax_treatment as never) ? '' : option(state.tax_treatment, `${state.tax_treatment} (not a treatment)`, true)}${TAX_TREATMENTS.map((t) => option(t, TREATMENTS[t], state.tax_treatment === t))}</select>`)}
</div>${provider === 'xero' && catalog ? xeroTreatments(catalog) : ''}</fieldset>
<fieldset><legend>Sending</legend><div class="form-grid">
${field('send_as', errors, 'Draft: someone approves them at the provider. Approved: final as sent.', (attrs) => html`<select ${attrs}>${Object.hasOwn(SEND_AS, state.send_as) ? '' : option(state.send_as, `${state.send_as} (not an option)`, true)}${Object.entries(SEND_AS).map(([k, label]) => option(k, label, state.send_as === k))}</select>`)}
${field('auto_push_invoices', errors, 'No: they wait, held, until someone pushes them.', (attrs) => html`<select ${attrs}>${option('', autoDefault, state.auto_push_invoices === '')}${option('true', 'Yes', state.auto_push_invoices === 'true')}${option('false', 'No', state.auto_push_invoices === 'false')}${['', 'true', 'false'].includes(state.auto_push_invoices) ? '' : option(state.auto_push_invoices, `${state.auto_push_invoices} (not an option)`, true)}</select>`)}
${field('reconcile_schedule', errors, 'Compares the last 90 days at the provider with what Ledgerport pushed (duplicates, missing, totals, statuses, later edits); nothing is changed there.', (attrs) => html`<select ${attrs}>${Object.hasOwn(RECONCILE_SCHEDULES, state.reconcile_schedule) ? '' : option(state.reconcile_schedule, `${state.reconcile_schedule} (not an option)`, true)}${Object.entries(RECONCILE_SCHEDULES).map(([k, label]) => option(k, label, state.reconcile_schedule === k))}</select>`)}
${field('po_import_schedule', errors, 'Purchase orders can always be imported by hand from Sync history.', (attrs) => html`<select ${attrs}>${Object.hasOwn(SCHEDULES, state.po_import_schedule) ? '' : option(state.po_import_schedule, `${state.po_import_schedule} (not an option)`, true)}${Object.entries(SCHEDULES).map(([k, label]) => option(k, label, state.po_import_schedule === k))}</select>`)}
</div>
${checkboxField('auto_create_bills', state.auto_create_bills, errors, 'Unticked: supplier bills wait, held, until someone pushes them.')}
${checkboxField('sync_payments', state.sync_payments, errors, 'Unticked: payments and refunds are not sent. Payments received at the provider are read either way.')}
</fieldset>
${mapFieldset(org, 'account_mappings', state.account_mappings, errors, 'A line that names a category (such as "materials") posts to the account given here. Leave a row empty to add nothing; clear a row to remove it.')}
${mapFieldset(org, 'tax_code_mappings', state.tax_code_mappings, errors, taxIntro)}
<div class="actions"><button type="submit" class="primary">Save posting defaults</button> <small>Saving makes version ${current.version + 1}.</small></div>
</form>`;
}

function defaultsPage(session: ConsoleSession, tenantId: string, org: Organisation, current: VersionedDefaults, state: DefaultsFormState, errors: FieldErrors, notice?: string): Html {
  const base = tenantBase(tenantId);
  const provider = org.provider;
  const catalog = org.catalog;
  const source = !provider
    ? html`<p class="note">${org.note ? html`${org.note} ` : 'This tenant is not connected. '}Type account codes yourself: pickers with the organisation's accounts and tax rates appear once it is <a href="${base}/connection">connected</a>.</p>`
    : html`<div class="actions">
<p class="inline-text">${catalog ? html`Accounts and tax rates of ${org.orgName ?? 'the organisation'} (${TITLES[provider]}), read ${when(catalog.fetchedAt)}.` : `No accounts of ${org.orgName ?? 'the organisation'} have been read yet.`}</p>
<form method="post" action="${base}/defaults/refresh-catalog" class="inline">${csrfField(session)}<button type="submit">Refresh accounts and tax rates</button></form>
</div>${org.note ? html`<p class="error">${org.note}</p>` : ''}`;
  return page(
    { title: 'Posting defaults', session, tenantId, section: 'defaults', notice },
    html`${errorSummary(errors)}
<p class="note" id="applies-note"><strong>Changes apply to new exports only.</strong> A document keeps the defaults it was first queued with, also when it is retried; documents already queued or sent are not changed.</p>
<dl class="facts">
<dt>Version</dt><dd data-defaults-version="${current.version}">${current.version === 0 ? 'built-in defaults (never saved)' : html`${current.version}, saved ${when(current.updatedAt)}`}</dd>
</dl>
${source}
${defaultsForm(session, base, org, state, errors, current)}`,
  );
}

/** Errors of both checks, in the order of the form. */
function merge(...all: FieldErrors[]): FieldErrors {
  const out: FieldErrors = new Map();
  for (const errors of all) for (const [key, messages] of errors) out.set(key, [...(out.get(key) ?? []), ...messages]);
  const order = ['form', ...Object.keys(LABELS)];
  const rank = (key: string) => {
    const top = key.split('.')[0]!;
    const i = order.indexOf(top);
    return (i < 0 ? order.length : i) * 10_000 + Number(key.split('.')[1] ?? 0) * 2 + (key.endsWith('.code') ? 1 : 0);
  };
  return new Map([...out.entries()].sort(([a], [b]) => rank(a) - rank(b)));
}

// ---- routes -------------------------------------------------------------------------------

export function defaultsPages(ctx: AppContext) {
  const log = ctx.logger.child({ subsystem: 'console' });
  return new Hono<ConsoleEnv>()
    .get('/defaults', async (c) => {
      const tenantId = c.get('tenantId');
      const [current, org] = await Promise.all([currentDefaults(ctx.db, tenantId), loadOrganisation(ctx, tenantId)]);
      const notice = c.req.query('notice')?.slice(0, 300);
      return c.html(defaultsPage(c.get('session'), tenantId, org, current, stateFromSettings(current.settings), new Map(), notice));
    })
    .post('/defaults', async (c) => {
      const tenantId = c.get('tenantId');
      const session = c.get('session');
      const state = stateFromForm(await c.req.parseBody());
      const parsed = parseDefaultsForm(state);
      let errors = parsed.errors;
      let status: 422 | 502 = 422;
      if (parsed.settings) {
        try {
          // The same check as PUT /v1/tenants/{id}/defaults: against the organisation's own accounts and tax rates.
          errors = problemErrors(state, await defaultsProblems(ctx.providerDeps, tenantId, parsed.settings));
        } catch (error) {
          if (!(error instanceof AppError) || error.status !== 502) throw error;
          errors = new Map([['form', [`Not saved: ${error.message}. Try again in a moment.`]]]);
          status = 502;
        }
        if (errors.size === 0) {
          const saved = await ctx.db.transaction().execute((tx) => saveDefaults(tx, tenantId, parsed.settings));
          log.info({ tenantId, version: saved.version, sessionId: session.id }, 'posting defaults saved from the console');
          const notice = `Saved as version ${saved.version}. Changes apply to new exports only.`;
          return c.redirect(`${tenantBase(tenantId)}/defaults?notice=${encodeURIComponent(notice)}`, 303);
        }
      }
      const [current, org] = await Promise.all([currentDefaults(ctx.db, tenantId), loadOrganisation(ctx, tenantId)]);
      return c.html(defaultsPage(session, tenantId, org, current, state, merge(errors)), status);
    })
    .post('/defaults/refresh-catalog', async (c) => {
      const tenantId = c.get('tenantId');
      const org = await loadOrganisation(ctx, tenantId, { refresh: true });
      let notice: string;
      if (!org.provider) notice = `${org.note ?? 'This tenant is not connected.'} Connect it to read its accounts and tax rates.`;
      else if (org.failed || !org.catalog) notice = org.note ?? 'The accounts could not be read.';
      else notice = `Read ${org.catalog.accounts.length} accounts and ${org.catalog.taxRates.length} tax rates from ${TITLES[org.provider]}.`;
      return c.redirect(`${tenantBase(tenantId)}/defaults?notice=${encodeURIComponent(notice.slice(0, 300))}`, 303);
    });
}
