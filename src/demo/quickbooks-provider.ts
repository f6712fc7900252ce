import type { Logger } from 'pino';
import { startQuickBooksSandbox, type JsonObject, type RequestLogEntry } from '../sandbox/quickbooks/index.ts';
import { connectThroughOAuth } from './connect.ts';
import { duplicateKeys, money, type CallRecord, type DemoProvider } from './provider.ts';

/** QuickBooks Online's limits per company (realm), as the sandbox enforces them in real time. */
export const QUICKBOOKS_LIMITS = { concurrent: 10, perMinute: 500 } as const;

/** A query's entity and the field it looks up by: "Customer by PrimaryEmailAddr". */
function queryDetail(statement: string | undefined): string | undefined {
  const entity = statement?.match(/\bfrom\s+(\w+)/i)?.[1];
  const field = statement?.match(/\bwhere\s+([\w.]+)/i)?.[1];
  return entity && `${entity}${field ? ` by ${field}` : ''}`;
}

function toCall(r: RequestLogEntry): CallRecord {
  const path = r.path.replace(/^\/v3\/company\/[^/]+/, '').replace(/^\/companyinfo\/[^/]+$/, '/companyinfo/{realmId}');
  // Document batches; customers and vendors are created in batches too (requestid lp-party-…).
  const create = r.method === 'POST' && path === '/batch' && !String(r.query.requestid ?? '').startsWith('lp-party-');
  const items = (r.body as { BatchItemRequest?: unknown[] } | undefined)?.BatchItemRequest;
  const detail = path === '/query' ? queryDetail(r.query.query ?? (typeof r.body === 'string' ? r.body : undefined)) : undefined;
  return {
    method: r.method,
    path,
    query: r.query,
    status: r.status,
    time: r.time,
    create,
    documents: create && Array.isArray(items) ? items.length : 0,
    ...(detail ? { detail } : {}),
  };
}

const refName = (ref: unknown) => String((ref as { name?: string; value?: string } | undefined)?.name ?? (ref as { value?: string } | undefined)?.value ?? '');
const total = (doc: JsonObject) => `${money(doc.TotalAmt)} ${String((doc.CurrencyRef as { value?: string } | null)?.value ?? '')}`.trim();

/**
 * The QuickBooks Online sandbox with a UK company per connection; Ledgerport's QBO_* settings
 * point at it. Automatic invoice push is off by default for QuickBooks, so the defaults turn it on.
 */
export async function startQuickBooksProvider(opts: { logger: Logger }): Promise<DemoProvider> {
  const sandbox = await startQuickBooksSandbox({ host: '127.0.0.1', limits: QUICKBOOKS_LIMITS, logger: opts.logger });
  const l = sandbox.limits;
  return {
    name: 'quickbooks',
    title: 'QuickBooks Online',
    short: 'QuickBooks',
    orgNoun: 'company',
    sandboxUrl: sandbox.url,
    perMinute: l.perMinute,
    limitsText: `${l.perMinute} requests/min, ${l.concurrent} at once; a batch of up to 30 documents counts as one request`,
    documentsPerRequest: 30,
    createCall: 'POST /batch',
    environment: (origin) => ({
      QBO_CLIENT_ID: sandbox.clientId,
      QBO_CLIENT_SECRET: sandbox.clientSecret,
      QBO_REDIRECT_URI: `${origin}/oauth/quickbooks/callback`,
      QBO_API_URL: sandbox.apiUrl,
      QBO_OAUTH_URL: sandbox.oauthUrl,
      QBO_AUTHORIZE_URL: sandbox.authorizeUrl,
      QBO_WEBHOOK_VERIFIER_TOKEN: sandbox.webhookVerifierToken,
    }),
    async connect(client, tenantId, companyName) {
      const company = sandbox.addCompany({ name: companyName, country: 'UK' });
      sandbox.setConsent({ realmId: company.realmId });
      await connectThroughOAuth(client, tenantId, 'quickbooks');
      return { id: company.realmId, name: company.name, detail: `${company.country}, realm ${company.realmId}` };
    },
    // Accounts and tax codes by id, as a fresh UK sandbox company has them.
    defaults: { sales_invoice_account: '79', purchase_bill_account: '78', tax_code_mappings: { '20': '2', '5': '3', '0': '4' }, auto_push_invoices: true, payments_bank_account: '35' },
    defaultsText: 'sales account 79 (Sales of Product Income), purchase account 78 (Purchases), VAT 20% → tax code 2, 5% → 3, 0% → 4, automatic invoice push on, payments through account 35 (Checking)',
    now: () => sandbox.now(),
    calls: (realmId) => sandbox.requests.filter((r) => r.realmId === realmId).map(toCall),
    throttling(realmId) {
      const stats = sandbox.stats(realmId);
      return { calls: stats.calls, throttled: stats.throttled, detail: `${stats.batchOperations} batch operations` };
    },
    holdings(realmId) {
      const invoices = sandbox.invoices(realmId);
      const bills = sandbox.bills(realmId);
      return {
        header: ['Type', 'DocNumber', 'CustomerRef / VendorRef', 'TotalAmt', 'Balance', 'Note'],
        rows: [
          ...invoices.map((i) => ['Invoice', String(i.DocNumber ?? ''), refName(i.CustomerRef), total(i), money(i.Balance), String(i.PrivateNote ?? '')]),
          ...bills.map((b) => ['Bill', String(b.DocNumber ?? ''), refName(b.VendorRef), total(b), money(b.Balance), String(b.PrivateNote ?? '')]),
        ],
        right: [3, 4],
        count: invoices.length + bills.length,
        duplicates: duplicateKeys([...invoices.map((i) => `Invoice ${String(i.DocNumber)}`), ...bills.map((b) => `Bill ${String(b.DocNumber)}`)]),
      };
    },
    money(realmId) {
      const voided = (doc: JsonObject) => /voided/i.test(String(doc.PrivateNote ?? ''));
      const numberOf = (id: unknown, list: JsonObject[]) => String(list.find((d) => d.Id === id)?.DocNumber ?? id);
      const invoices = sandbox.invoices(realmId);
      const creditMemos = sandbox.creditMemos(realmId);
      const payments = sandbox.payments(realmId).filter((p) => !voided(p));
      const links = (p: JsonObject) =>
        ((p.Line as { Amount?: number; LinkedTxn?: { TxnId: string; TxnType: string }[] }[] | undefined) ?? [])
          .flatMap((l) => (l.LinkedTxn ?? []).map((t) => `${t.TxnType} ${numberOf(t.TxnId, t.TxnType === 'CreditMemo' ? creditMemos : invoices)} ${money(l.Amount)}`))
          .join(', ');
      return {
        header: ['Record', 'Id / DocNumber', 'TotalAmt', 'Linked to', 'Unapplied / remaining'],
        rows: [
          ...payments.map((p) => ['Payment', String(p.Id), money(p.TotalAmt), links(p) || '-', money(p.UnappliedAmt ?? 0)]),
          ...creditMemos.map((c) => ['CreditMemo', String(c.DocNumber ?? c.Id), money(c.TotalAmt), '-', money(c.RemainingCredit ?? 0)]),
          ...sandbox.refundReceipts(realmId).map((r) => ['RefundReceipt', String(r.DocNumber ?? r.Id), money(r.TotalAmt), '-', '-']),
        ],
        right: [2],
        // A zero payment only applies a credit memo; it is not money from the customer.
        payments: payments.filter((p) => Number(p.TotalAmt) > 0).length,
        creditNotes: creditMemos.length,
      };
    },
    contractViolations: () => undefined,
    close: () => sandbox.close(),
  };
}
