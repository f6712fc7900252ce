import { THROTTLE_BACKOFF_MS } from '../../src/providers/quickbooks/client.ts';
import { startQuickBooksSandbox, type QuickBooksSandbox } from '../../src/sandbox/quickbooks/index.ts';
import { startHarness, type Harness } from './harness.ts';
import { oauthRoundTrip } from './oauth.ts';
import { startXeroHarness } from './xero.ts';
import type { XeroSandbox } from '../../src/sandbox/xero/index.ts';

/**
 * One provider behind one sandbox, driven the same way for both: the shared provider contract
 * suite runs every case against Xero and against QuickBooks through these.
 */
export interface ProviderFixture {
  readonly name: 'xero' | 'quickbooks';
  readonly h: Harness;
  /** Connects a tenant through the real OAuth flow; returns the provider organisation id. */
  connect(tenantId: string): Promise<{ token: string; orgId: string }>;
  /** Posting defaults that fit the sandbox organisation (accounts, tax). */
  readonly defaults: Record<string, unknown>;
  /** Sales invoices and bills the organisation holds. */
  documents(orgId: string): { number: string; kind: 'sales_invoice' | 'supplier_bill' }[];
  /** Create requests the organisation received, with the idempotency key each carried. */
  createRequests(orgId: string): { key: string | undefined; count: number }[];
  refreshCalls(): number;
  dropNextWrite(): void;
  failNextWrite(status: 500 | 503): void;
  throttleNextWrite(): void;
  /** How long a throttled tenant waits before its next call (the provider's Retry-After, or our default). */
  readonly throttleWaitMs: number;
  expireAccessTokens(): void;
  revokeRefreshTokens(): void;
  close(): Promise<void>;
  readonly ops: OperationsView;
}

/** What the provider holds after updates, voids, credit notes and payments, in one shape for both. */
export interface OperationsView {
  /** A sales invoice by number: status in the provider's words, total and amount due. */
  invoice(orgId: string, number: string): { id: string; status: string; total: number; amountDue: number } | undefined;
  /** The status a voided invoice shows. */
  readonly voidedStatus: string;
  /** Payments from customers still applied (not deleted or voided), with the invoice numbers they are on. */
  payments(orgId: string): { id: string; amount: number; on: { number: string; amount: number }[] }[];
  /** Credit the customer has left from overpayments (Xero Overpayment, QuickBooks unapplied amount). */
  unappliedCredit(orgId: string): number;
  creditNotes(orgId: string): { number: string; total: number; remaining: number; status: string }[];
  /** Money paid back out of credit notes. */
  refunds(orgId: string): { amount: number }[];
  /** A user records a payment at the provider, on one or several invoices (by provider id); returns its id. */
  payAtProvider(orgId: string, lines: { invoiceId: string; amount: number }[]): string;
  /** The provider's webhook about a changed invoice or payment, delivered to the gateway at `baseUrl`. */
  notifyChanged(baseUrl: string, orgId: string, change: { invoiceIds: string[]; paymentId: string }): Promise<void>;
  dropNextPaymentWrite(): void;
  /** Whether the provider refuses to edit an invoice once it has a payment (Xero) or applies the edit (QuickBooks). */
  readonly editOfPaidInvoice: 'refused' | 'applied';
  /** Posting defaults for payments: the bank account. */
  readonly paymentDefaults: Record<string, unknown>;
}

export async function xeroFixture(): Promise<ProviderFixture> {
  const webhookKey = 'sandbox-webhook-key-for-the-contract-suite-0123456789';
  const { h, sb, close } = await startXeroHarness({ env: { XERO_WEBHOOK_KEY: webhookKey }, sandbox: { webhookKey } });
  const writes = /Invoices$/;
  return {
    name: 'xero',
    h,
    async connect(tenantId) {
      const org = sb.addOrganisation({ name: `Org ${tenantId}`, region: 'UK' });
      sb.setConsent({ organisations: [org.OrganisationID] });
      return { ...(await oauthRoundTrip(h, tenantId, 'xero')), orgId: org.OrganisationID };
    },
    defaults: { sales_invoice_account: '200', purchase_bill_account: '300' },
    documents: (orgId) =>
      sb.invoices(orgId).map((i) => ({ number: String((i as { InvoiceNumber: string }).InvoiceNumber), kind: (i as { Type: string }).Type === 'ACCREC' ? 'sales_invoice' : 'supplier_bill' })),
    createRequests: (orgId) =>
      sb.requests
        .filter((r) => r.tenantId === orgId && r.method === 'PUT' && writes.test(r.path))
        .map((r) => ({ key: r.headers['idempotency-key'], count: ((r.body as { Invoices?: unknown[] }).Invoices ?? []).length })),
    refreshCalls: () => sb.tokenRequests.filter((t) => t.grant_type === 'refresh_token').length,
    dropNextWrite: () => sb.dropAfterWrite(1, { path: writes }),
    failNextWrite: (status) => sb.failNext(1, { status, path: writes }),
    throttleNextWrite: () => sb.force429(1, { retryAfterSeconds: 1, problem: 'minute', path: writes }),
    throttleWaitMs: 1_000,
    expireAccessTokens: () => void sb.expireAccessTokens(),
    revokeRefreshTokens: () => void sb.revokeRefreshTokens(),
    close,
    ops: xeroOperations(sb),
  };
}

type Row = Record<string, unknown>;

function xeroOperations(sb: XeroSandbox): OperationsView {
  const live = (orgId: string) => (sb.payments(orgId) as Row[]).filter((p) => p.Status !== 'DELETED');
  return {
    invoice(orgId, number) {
      const inv = (sb.invoices(orgId) as Row[]).find((i) => i.InvoiceNumber === number && i.Type === 'ACCREC');
      return inv && { id: String(inv.InvoiceID), status: String(inv.Status), total: Number(inv.Total), amountDue: Number(inv.AmountDue) };
    },
    voidedStatus: 'VOIDED',
    payments: (orgId) =>
      live(orgId)
        .filter((p) => (p.Invoice as Row).Type === 'ACCREC')
        .map((p) => ({ id: String(p.PaymentID), amount: Number(p.Amount), on: [{ number: String((p.Invoice as Row).InvoiceNumber), amount: Number(p.Amount) }] })),
    unappliedCredit: (orgId) => (sb.overpayments(orgId) as Row[]).filter((o) => o.Status !== 'VOIDED' && o.Status !== 'DELETED').reduce((sum, o) => sum + Number(o.RemainingCredit), 0),
    creditNotes: (orgId) => (sb.creditNotes(orgId) as Row[]).map((c) => ({ number: String(c.CreditNoteNumber), total: Number(c.Total), remaining: Number(c.RemainingCredit), status: String(c.Status) })),
    refunds: (orgId) => live(orgId).filter((p) => (p.Invoice as Row).Type === 'ACCRECCREDIT').map((p) => ({ amount: Number(p.Amount) })),
    payAtProvider(orgId, lines) {
      // A Xero payment is on one invoice; several invoices are several payments.
      const ids = lines.map((l) => String(sb.addPaymentAtXero(orgId, { invoiceId: l.invoiceId, amount: l.amount, reference: 'paid in Xero' }).PaymentID));
      return ids[0]!;
    },
    async notifyChanged(baseUrl, orgId, change) {
      const res = await sb.sendWebhook(`${baseUrl}/webhooks/xero`, change.invoiceIds.map((id) => ({ tenantId: orgId, eventCategory: 'INVOICE' as const, eventType: 'UPDATE' as const, resourceId: id })));
      if (res.status !== 200) throw new Error(`the gateway answered the Xero webhook with ${res.status}`);
    },
    dropNextPaymentWrite: () => sb.dropAfterWrite(1, { path: /\/Payments$/ }),
    editOfPaidInvoice: 'refused',
    paymentDefaults: { payments_bank_account: '090' },
  };
}

export async function quickBooksFixture(opts: { env?: Record<string, string> } = {}): Promise<ProviderFixture & { sb: QuickBooksSandbox }> {
  const sb = await startQuickBooksSandbox({ host: '127.0.0.1' });
  const h = await startHarness({
    env: {
      QBO_CLIENT_ID: sb.clientId, QBO_CLIENT_SECRET: sb.clientSecret, QBO_REDIRECT_URI: 'http://127.0.0.1:8080/oauth/quickbooks/callback',
      QBO_API_URL: sb.apiUrl, QBO_OAUTH_URL: sb.oauthUrl, QBO_AUTHORIZE_URL: sb.authorizeUrl, QBO_WEBHOOK_VERIFIER_TOKEN: sb.webhookVerifierToken,
      ...opts.env,
    },
  });
  const writes = /\/batch$/;
  // Document batches, not the batch that creates customers (its requestid starts lp-party-).
  const documentBatch = { path: writes, query: { requestid: /^lp-(?!party-)/ } };
  return {
    name: 'quickbooks',
    sb,
    h,
    async connect(tenantId) {
      const company = sb.addCompany({ name: `Company ${tenantId}`, country: 'UK' });
      sb.setConsent({ realmId: company.realmId });
      return { ...(await oauthRoundTrip(h, tenantId, 'quickbooks')), orgId: company.realmId };
    },
    // QuickBooks: accounts by id; taxable lines need a tax code mapping; automatic push is off by default.
    defaults: { sales_invoice_account: '79', purchase_bill_account: '78', tax_code_mappings: { '20': '2', '5': '3', '0': '4' }, auto_push_invoices: true },
    documents: (orgId) => [
      ...sb.invoices(orgId).map((i) => ({ number: String((i as { DocNumber: string }).DocNumber), kind: 'sales_invoice' as const })),
      ...sb.bills(orgId).map((b) => ({ number: String((b as { DocNumber: string }).DocNumber), kind: 'supplier_bill' as const })),
    ],
    createRequests: (orgId) =>
      sb.requests
        .filter((r) => r.method === 'POST' && writes.test(r.path) && r.path.includes(`/company/${orgId}/`) && !String(r.query.requestid).startsWith('lp-party-'))
        .map((r) => ({ key: r.query.requestid, count: ((r.body as { BatchItemRequest?: unknown[] }).BatchItemRequest ?? []).length })),
    refreshCalls: () => sb.tokenRequests.filter((t) => t.grant_type === 'refresh_token').length,
    dropNextWrite: () => sb.dropAfterWrite(1, documentBatch),
    failNextWrite: (status) => sb.failNext(1, { status, ...documentBatch }),
    throttleNextWrite: () => sb.force429(1, documentBatch),
    throttleWaitMs: THROTTLE_BACKOFF_MS,
    expireAccessTokens: () => void sb.expireAccessTokens(),
    revokeRefreshTokens: () => void sb.revokeRefreshTokens(),
    close: async () => {
      await h.close();
      await sb.close();
    },
    ops: quickBooksOperations(sb),
  };
}

function quickBooksOperations(sb: QuickBooksSandbox): OperationsView {
  const invoices = (realmId: string) => sb.invoices(realmId) as Row[];
  const live = (realmId: string) => (sb.payments(realmId) as Row[]).filter((p) => !/voided/i.test(String(p.PrivateNote ?? '')));
  const numberOf = (realmId: string, id: string) => String(invoices(realmId).find((i) => i.Id === id)?.DocNumber ?? id);
  return {
    invoice(realmId, number) {
      const inv = invoices(realmId).find((i) => i.DocNumber === number);
      if (!inv) return undefined;
      const voided = /voided/i.test(String(inv.PrivateNote ?? ''));
      return { id: String(inv.Id), status: voided ? 'Voided' : Number(inv.Balance) === 0 ? 'Paid' : 'Open', total: Number(inv.TotalAmt), amountDue: Number(inv.Balance) };
    },
    voidedStatus: 'Voided',
    payments: (realmId) =>
      live(realmId)
        .map((p) => ({
          id: String(p.Id),
          amount: Number(p.TotalAmt),
          on: ((p.Line as Row[] | undefined) ?? []).flatMap((l) => ((l.LinkedTxn as Row[] | undefined) ?? []).filter((t) => t.TxnType === 'Invoice').map((t) => ({ number: numberOf(realmId, String(t.TxnId)), amount: Number(l.Amount) }))),
        }))
        // A zero payment applying a credit memo is not a payment from the customer.
        .filter((p) => p.amount > 0),
    unappliedCredit: (realmId) => live(realmId).reduce((sum, p) => sum + Number(p.UnappliedAmt ?? 0), 0),
    creditNotes: (realmId) => (sb.creditMemos(realmId) as Row[]).map((c) => ({ number: String(c.DocNumber), total: Number(c.TotalAmt), remaining: Number(c.RemainingCredit ?? 0), status: /voided/i.test(String(c.PrivateNote ?? '')) ? 'Voided' : 'Open' })),
    refunds: (realmId) => (sb.refundReceipts(realmId) as Row[]).map((r) => ({ amount: Number(r.TotalAmt) })),
    payAtProvider(realmId, lines) {
      const customerId = String((invoices(realmId).find((i) => i.Id === lines[0]!.invoiceId)?.CustomerRef as Row).value);
      return String(sb.addPaymentInQuickBooks(realmId, { customerId, lines, reference: 'paid in QuickBooks' }).Id);
    },
    async notifyChanged(baseUrl, realmId, change) {
      const res = await sb.sendWebhook(`${baseUrl}/webhooks/quickbooks`, [{ realmId, name: 'Payment', id: change.paymentId, operation: 'Create' }]);
      if (res.status !== 200) throw new Error(`the gateway answered the QuickBooks webhook with ${res.status}`);
    },
    dropNextPaymentWrite: () => sb.dropAfterWrite(1, { path: /\/batch$/, query: { requestid: /^lp-(?!party-)/ } }),
    editOfPaidInvoice: 'applied',
    // The company's Checking account (a bank account): refunds are paid out of it.
    paymentDefaults: { payments_bank_account: '35' },
  };
}
