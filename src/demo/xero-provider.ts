import type { Logger } from 'pino';
import { startXeroSandbox, type RequestLogEntry } from '../sandbox/xero/index.ts';
import { connectThroughOAuth } from './connect.ts';
import { duplicateKeys, money, type CallRecord, type DemoProvider } from './provider.ts';

/** Xero's limits per organisation, as the sandbox enforces them in real time. */
export const XERO_LIMITS = { concurrent: 5, perMinute: 60, perDay: 5_000 } as const;

const isInvoiceCreate = (r: RequestLogEntry) => r.method === 'PUT' && /\/Invoices\/?$/.test(r.path);
const countOf = (body: unknown, key: 'Invoices' | 'Contacts'): number | undefined => {
  const list = (body as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(list) ? list.length : undefined;
};

function toCall(r: RequestLogEntry): CallRecord {
  const create = isInvoiceCreate(r);
  const contacts = countOf(r.body, 'Contacts');
  return {
    method: r.method,
    path: r.path.replace(/^\/api\.xro\/2\.0/, ''),
    query: r.query,
    status: r.status,
    time: r.time,
    create,
    documents: create ? (countOf(r.body, 'Invoices') ?? 0) : 0,
    ...(contacts === undefined ? {} : { contacts }),
  };
}

/** The Xero sandbox with a UK organisation per connection; Ledgerport's XERO_* settings point at it. */
export async function startXeroProvider(opts: { logger: Logger }): Promise<DemoProvider> {
  const sandbox = await startXeroSandbox({ host: '127.0.0.1', limits: XERO_LIMITS, logger: opts.logger });
  const l = sandbox.limits;
  return {
    name: 'xero',
    title: 'Xero',
    short: 'Xero',
    orgNoun: 'organisation',
    sandboxUrl: sandbox.url,
    perMinute: l.perMinute,
    limitsText: `${l.perMinute} calls/min, ${l.concurrent} at once, ${l.perDay.toLocaleString('en-GB')}/day`,
    documentsPerRequest: 50,
    createCall: 'PUT /Invoices',
    environment: (origin) => ({
      XERO_CLIENT_ID: sandbox.clientId,
      XERO_CLIENT_SECRET: sandbox.clientSecret,
      XERO_REDIRECT_URI: `${origin}/oauth/xero/callback`,
      XERO_API_URL: sandbox.apiUrl,
      XERO_IDENTITY_URL: sandbox.identityUrl,
      XERO_LOGIN_URL: sandbox.loginUrl,
    }),
    async connect(client, tenantId, organisationName) {
      const org = sandbox.addOrganisation({ name: organisationName, region: 'UK' });
      sandbox.setConsent({ organisations: [org.OrganisationID] });
      await connectThroughOAuth(client, tenantId, 'xero');
      return { id: org.OrganisationID, name: org.Name, detail: org.Version };
    },
    defaults: { sales_invoice_account: '200', purchase_bill_account: '300', send_as: 'approved', payments_bank_account: '090' },
    defaultsText: 'sales account 200, purchase account 300, send as approved, payments through bank account 090',
    now: () => sandbox.now(),
    calls: (orgId) => sandbox.requests.filter((r) => r.tenantId === orgId).map(toCall),
    throttling(orgId) {
      const stats = sandbox.stats(orgId);
      return { calls: stats.calls, throttled: stats.rateLimited, detail: Object.entries(stats.byProblem).map(([p, n]) => `${p} ${n}`).join(', ') };
    },
    holdings(orgId) {
      const invoices = sandbox.invoices(orgId);
      return {
        header: ['Type', 'Number', 'Contact', 'Total', 'AmountDue', 'Status'],
        rows: invoices.map((i) => [
          String(i.Type),
          String(i.InvoiceNumber ?? ''),
          String((i.Contact as { Name?: string } | null)?.Name ?? ''),
          `${money(i.Total)} ${String(i.CurrencyCode ?? '')}`.trim(),
          money(i.AmountDue),
          String(i.Status),
        ]),
        right: [3, 4],
        count: invoices.length,
        duplicates: duplicateKeys(invoices.map((i) => `${String(i.Type)} ${String(i.InvoiceNumber)}`)),
      };
    },
    money(orgId) {
      const payments = sandbox.payments(orgId).filter((p) => p.Status !== 'DELETED');
      const creditNotes = sandbox.creditNotes(orgId);
      const number = (doc: unknown) => String((doc as { InvoiceNumber?: string; CreditNoteNumber?: string } | null)?.InvoiceNumber ?? (doc as { CreditNoteNumber?: string } | null)?.CreditNoteNumber ?? '');
      return {
        header: ['Record', 'Reference', 'Amount', 'Applied to', 'Status'],
        rows: [
          ...payments.map((p) => ['Payment', String(p.Reference ?? ''), money(p.Amount), number(p.Invoice), String(p.Status)]),
          ...creditNotes.map((c) => [
            `CreditNote ${String(c.Type)}`,
            String(c.CreditNoteNumber ?? ''),
            money(c.Total),
            ((c.Allocations as { Invoice?: unknown; Amount?: number }[] | undefined) ?? []).map((a) => `${number(a.Invoice)} ${money(a.Amount)}`).join(', ') || '-',
            `${String(c.Status)}, ${money(c.RemainingCredit)} credit left`,
          ]),
        ],
        right: [2],
        payments: payments.filter((p) => (p.Invoice as { Type?: string } | null)?.Type === 'ACCREC').length,
        creditNotes: creditNotes.length,
      };
    },
    contractViolations: () => sandbox.contractViolations,
    close: () => sandbox.close(),
  };
}
