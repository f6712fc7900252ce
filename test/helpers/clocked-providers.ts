import { sql } from 'kysely';
import type { TokenSet } from '../../src/providers/types.ts';
import { QUICKBOOKS_REQUESTID_WINDOW_MS, startQuickBooksSandbox, type QuickBooksSandbox } from '../../src/sandbox/quickbooks/index.ts';
import { client as quickBooksClient } from '../../src/sandbox/quickbooks/testing.ts';
import { XERO_IDEMPOTENCY_WINDOW_MS, type XeroSandbox } from '../../src/sandbox/xero/index.ts';
import { client as xeroClient } from '../../src/sandbox/xero/testing.ts';
import { startHarness, type Harness } from './harness.ts';
import { oauthRoundTrip } from './oauth.ts';
import { startXeroHarness } from './xero.ts';

/**
 * One provider behind its sandbox, whose clock the test moves (`advance`), with what a user at
 * the provider does to documents Ledgerport pushed (`atProvider`): for the tests of expired
 * idempotency keys and of reconciliations, run the same way against Xero and QuickBooks.
 */
export interface ClockedFixture {
  readonly name: 'xero' | 'quickbooks';
  readonly h: Harness;
  /** How long the sandbox keeps an idempotency key (as the provider does). */
  readonly windowMs: number;
  /** Moves the sandbox's clock forward. */
  advance(ms: number): void;
  connect(tenantId: string): Promise<{ token: string; orgId: string }>;
  /** Posting defaults that fit the sandbox organisation; `approved`: documents are approved (Xero AUTHORISED). */
  defaults(opts?: { approved?: boolean }): Record<string, unknown>;
  /** Sales invoices and bills at the provider, deleted ones left out. */
  documents(orgId: string): { id: string; number: string; kind: 'sales_invoice' | 'supplier_bill' }[];
  /** Document create requests, with the idempotency key each carried. */
  createRequests(orgId: string): { key: string | undefined; count: number }[];
  /** The organisation's API calls from `since` (an index into the request log) on. */
  callsSince(orgId: string, since: number): { method: string; path: string }[];
  requestCount(): number;
  dropNextWrite(): void;
  failNextWrite(status: 500 | 503): void;
  dropNextPaymentWrite(): void;
  /** Payments at the provider (deleted ones left out). */
  paymentCount(orgId: string): number;
  /** Posting defaults for payments: the bank account. */
  readonly paymentDefaults: Record<string, unknown>;
  readonly atProvider: {
    /** Another bill with the same number, as a user would enter it. */
    duplicateBill(tenantId: string, orgId: string, number: string): Promise<void>;
    /** Deletes a sales invoice or bill (Xero: a draft). */
    remove(tenantId: string, orgId: string, providerId: string, kind?: 'sales_invoice' | 'supplier_bill'): Promise<void>;
    /** Voids a sales invoice (Xero: an approved one). */
    voidInvoice(tenantId: string, orgId: string, providerId: string): Promise<void>;
    /** A sales invoice's first line made 3 × 10.00 instead of 2 × 10.00 (a new total). */
    changeTotal(tenantId: string, orgId: string, providerId: string): Promise<void>;
    /** Changes the due date only. */
    edit(tenantId: string, orgId: string, providerId: string): Promise<void>;
  };
  close(): Promise<void>;
}

type Row = Record<string, any>;

/** The access token Ledgerport holds for the tenant (a user at the provider would have their own). */
async function accessTokenOf(h: Harness, tenantId: string): Promise<string> {
  const row = await h.database.db.selectFrom('connections').select('token_set').where('tenant_id', '=', tenantId).executeTakeFirstOrThrow();
  return (await h.ctx.services.cipher.decrypt<TokenSet>(row.token_set!)).accessToken;
}

const expectOk = (what: string, res: { status: number; body: unknown }) => {
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
};

export async function clockedXero(): Promise<ClockedFixture> {
  let offset = 0;
  const { h, sb, close } = await startXeroHarness({ sandbox: { clock: () => Date.now() + offset } });
  const writes = /Invoices$/;
  const api = async (tenantId: string, orgId: string) => xeroClient(sb as XeroSandbox, await accessTokenOf(h, tenantId), orgId);
  const invoice = (orgId: string, id: string) => (sb.invoices(orgId) as Row[]).find((i) => i.InvoiceID === id)!;
  const post = async (tenantId: string, orgId: string, id: string, patch: Row) =>
    expectOk(`update ${id} at Xero`, await (await api(tenantId, orgId))('POST', `/Invoices/${id}`, { Invoices: [{ InvoiceID: id, ...patch }] }));
  return {
    name: 'xero',
    h,
    windowMs: XERO_IDEMPOTENCY_WINDOW_MS,
    advance: (ms) => { offset += ms; },
    async connect(tenantId) {
      const org = sb.addOrganisation({ name: `Org ${tenantId}`, region: 'UK' });
      sb.setConsent({ organisations: [org.OrganisationID] });
      return { ...(await oauthRoundTrip(h, tenantId, 'xero')), orgId: org.OrganisationID };
    },
    defaults: (opts = {}) => ({ sales_invoice_account: '200', purchase_bill_account: '300', send_as: opts.approved ? 'approved' : 'draft' }),
    documents: (orgId) =>
      (sb.invoices(orgId) as Row[]).filter((i) => i.Status !== 'DELETED').map((i) => ({ id: String(i.InvoiceID), number: String(i.InvoiceNumber), kind: i.Type === 'ACCREC' ? 'sales_invoice' : 'supplier_bill' })),
    createRequests: (orgId) =>
      sb.requests
        .filter((r) => r.tenantId === orgId && r.method === 'PUT' && writes.test(r.path))
        .map((r) => ({ key: r.headers['idempotency-key'], count: ((r.body as { Invoices?: unknown[] }).Invoices ?? []).length })),
    callsSince: (orgId, since) => sb.requests.slice(since).filter((r) => r.tenantId === orgId).map((r) => ({ method: r.method, path: r.path })),
    requestCount: () => sb.requests.length,
    dropNextWrite: () => sb.dropAfterWrite(1, { path: writes }),
    failNextWrite: (status) => sb.failNext(1, { status, path: writes }),
    dropNextPaymentWrite: () => sb.dropAfterWrite(1, { path: /\/Payments$/ }),
    paymentCount: (orgId) => (sb.payments(orgId) as Row[]).filter((x) => x.Status !== 'DELETED').length,
    paymentDefaults: { payments_bank_account: '090' },
    atProvider: {
      async duplicateBill(tenantId, orgId, number) {
        const bill = (sb.invoices(orgId) as Row[]).find((i) => i.Type === 'ACCPAY' && i.InvoiceNumber === number)!;
        const copy = {
          Type: 'ACCPAY', Contact: { ContactID: bill.Contact.ContactID }, InvoiceNumber: bill.InvoiceNumber, Reference: bill.Reference,
          Date: String(bill.DateString).slice(0, 10), DueDate: String(bill.DueDateString).slice(0, 10), LineAmountTypes: bill.LineAmountTypes, Status: 'DRAFT',
          LineItems: (bill.LineItems as Row[]).map((l) => ({ Description: l.Description, Quantity: l.Quantity, UnitAmount: l.UnitAmount, AccountCode: l.AccountCode, TaxType: l.TaxType })),
        };
        expectOk('a second bill at Xero', await (await api(tenantId, orgId))('PUT', '/Invoices', { Invoices: [copy] }));
      },
      remove: (tenantId, orgId, id) => post(tenantId, orgId, id, { Status: 'DELETED' }),
      voidInvoice: (tenantId, orgId, id) => post(tenantId, orgId, id, { Status: 'VOIDED' }),
      async changeTotal(tenantId, orgId, id) {
        const line = (invoice(orgId, id).LineItems as Row[])[0]!;
        await post(tenantId, orgId, id, { LineItems: [{ Description: line.Description, Quantity: 3, UnitAmount: 10, AccountCode: line.AccountCode, TaxType: line.TaxType }] });
      },
      edit: (tenantId, orgId, id) => post(tenantId, orgId, id, { DueDate: '2027-01-15' }),
    },
    close,
  };
}

export async function clockedQuickBooks(): Promise<ClockedFixture> {
  let offset = 0;
  const sb: QuickBooksSandbox = await startQuickBooksSandbox({ host: '127.0.0.1', clock: () => Date.now() + offset });
  const h = await startHarness({
    env: {
      QBO_CLIENT_ID: sb.clientId, QBO_CLIENT_SECRET: sb.clientSecret, QBO_REDIRECT_URI: 'http://127.0.0.1:8080/oauth/quickbooks/callback',
      QBO_API_URL: sb.apiUrl, QBO_OAUTH_URL: sb.oauthUrl, QBO_AUTHORIZE_URL: sb.authorizeUrl, QBO_WEBHOOK_VERIFIER_TOKEN: sb.webhookVerifierToken,
    },
  });
  const writes = /\/batch$/;
  // Document batches, not the batch that creates customers (its requestid starts lp-party-).
  const documentBatch = { path: writes, query: { requestid: /^lp-(?!party-)/ } };
  const realmOf = (path: string) => /\/v3\/company\/([^/]+)\//.exec(path)?.[1];
  const invoice = (realmId: string, id: string) => (sb.invoices(realmId) as Row[]).find((i) => i.Id === id)!;
  return {
    name: 'quickbooks',
    h,
    windowMs: QUICKBOOKS_REQUESTID_WINDOW_MS,
    advance: (ms) => { offset += ms; },
    async connect(tenantId) {
      const company = sb.addCompany({ name: `Company ${tenantId}`, country: 'UK' });
      sb.setConsent({ realmId: company.realmId });
      return { ...(await oauthRoundTrip(h, tenantId, 'quickbooks')), orgId: company.realmId };
    },
    defaults: () => ({ sales_invoice_account: '79', purchase_bill_account: '78', tax_code_mappings: { '20': '2', '5': '3', '0': '4' }, auto_push_invoices: true }),
    documents: (realmId) => [
      ...(sb.invoices(realmId) as Row[]).map((i) => ({ id: String(i.Id), number: String(i.DocNumber), kind: 'sales_invoice' as const })),
      ...(sb.bills(realmId) as Row[]).map((b) => ({ id: String(b.Id), number: String(b.DocNumber), kind: 'supplier_bill' as const })),
    ],
    createRequests: (realmId) =>
      sb.requests
        .filter((r) => r.method === 'POST' && writes.test(r.path) && realmOf(r.path) === realmId && !String(r.query.requestid).startsWith('lp-party-'))
        .map((r) => ({ key: r.query.requestid, count: ((r.body as { BatchItemRequest?: unknown[] }).BatchItemRequest ?? []).length })),
    callsSince: (realmId, since) => sb.requests.slice(since).filter((r) => realmOf(r.path) === realmId).map((r) => ({ method: r.method, path: r.path })),
    requestCount: () => sb.requests.length,
    dropNextWrite: () => sb.dropAfterWrite(1, documentBatch),
    failNextWrite: (status) => sb.failNext(1, { status, ...documentBatch }),
    dropNextPaymentWrite: () => sb.dropAfterWrite(1, documentBatch),
    paymentCount: (realmId) => sb.payments(realmId).length,
    paymentDefaults: { payments_bank_account: '35' },
    atProvider: {
      async duplicateBill(tenantId, realmId, number) {
        const bill = (sb.bills(realmId) as Row[]).find((b) => b.DocNumber === number)!;
        const copy = {
          VendorRef: { value: bill.VendorRef.value }, DocNumber: bill.DocNumber, TxnDate: bill.TxnDate, PrivateNote: bill.PrivateNote,
          CurrencyRef: bill.CurrencyRef, GlobalTaxCalculation: bill.GlobalTaxCalculation,
          Line: (bill.Line as Row[]).filter((l) => l.DetailType === 'AccountBasedExpenseLineDetail').map((l) => ({
            Amount: l.Amount, DetailType: l.DetailType, Description: l.Description,
            AccountBasedExpenseLineDetail: { AccountRef: { value: l.AccountBasedExpenseLineDetail.AccountRef.value }, ...(l.AccountBasedExpenseLineDetail.TaxCodeRef ? { TaxCodeRef: { value: l.AccountBasedExpenseLineDetail.TaxCodeRef.value } } : {}) },
          })),
        };
        expectOk('a second bill in QuickBooks', await quickBooksClient(sb, await accessTokenOf(h, tenantId), realmId)('POST', '/bill', copy));
      },
      remove: async (_tenantId, realmId, id, kind = 'sales_invoice') => sb.deleteEntity(realmId, kind === 'supplier_bill' ? 'Bill' : 'Invoice', id),
      voidInvoice: async (_tenantId, realmId, id) => void sb.voidEntity(realmId, 'Invoice', id),
      async changeTotal(_tenantId, realmId, id) {
        const lines = (invoice(realmId, id).Line as Row[]).filter((l) => l.DetailType === 'SalesItemLineDetail');
        const [first, ...rest] = lines;
        sb.updateEntity(realmId, 'Invoice', id, {
          Line: [{ ...first, Amount: 30, SalesItemLineDetail: { ...first!.SalesItemLineDetail, Qty: 3, UnitPrice: 10 } }, ...rest],
        });
      },
      edit: async (_tenantId, realmId, id) => void sb.updateEntity(realmId, 'Invoice', id, { DueDate: '2027-01-15' }),
    },
    close: async () => {
      await h.close();
      await sb.close();
    },
  };
}

/** Runs the tenant's jobs now, whatever their scheduled time (push backoff is tested elsewhere). */
export async function runJobsNow(h: Harness, tenantId: string): Promise<void> {
  await sql`update graphile_worker._private_jobs set run_at = now() where payload->>'tenant_id' = ${tenantId}`.execute(h.database.db);
  await h.runJobs();
}

/** Makes the tenant's open push batches look as if they were first sent `ms` ago. */
export async function ageOpenBatches(h: Harness, tenantId: string, ms: number): Promise<void> {
  await sql`update push_batches set created_at = created_at - make_interval(secs => ${ms / 1000}) where tenant_id = ${tenantId} and status <> 'done'`.execute(h.database.db);
}
