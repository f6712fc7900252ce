import type { Logger } from 'pino';
import { connectThroughOAuth } from '../../src/demo/connect.ts';
import type { GatewayClient } from '../../src/demo/client.ts';
import { QUICKBOOKS_LIMITS } from '../../src/demo/quickbooks-provider.ts';
import { XERO_LIMITS } from '../../src/demo/xero-provider.ts';
import { startQuickBooksSandbox, type JsonObject, type QuickBooksSandbox } from '../../src/sandbox/quickbooks/index.ts';
import { startXeroSandbox, type XeroSandbox } from '../../src/sandbox/xero/index.ts';
import type { TenantPlan } from './plan.ts';

/**
 * Both provider sandboxes, in the bench process, with the providers' real limits in real time,
 * one organisation (company) per tenant connected through the OAuth flow, and the posting
 * defaults the demo uses for each.
 */
export interface Sandboxes {
  readonly xero: XeroSandbox;
  readonly quickbooks: QuickBooksSandbox;
  /** XERO_* and QBO_* settings for a gateway whose public origin is `origin`. */
  environment(origin: string): Record<string, string>;
  /** Tenant → the sandbox organisation id (Xero tenantId, QuickBooks realmId). */
  readonly orgs: Map<string, string>;
  connect(client: GatewayClient, tenants: readonly TenantPlan[]): Promise<void>;
  /** Every QuickBooks `realmId:Id` of a bill → its DocNumber, as seen so far (a deleted bill keeps only its Id). */
  readonly billNumbers: Map<string, string>;
  /** Records the live bills' numbers; call often enough to see each bill before it is deleted. */
  witnessBills(): void;
  close(): Promise<void>;
}

export const XERO_DEFAULTS = { sales_invoice_account: '200', purchase_bill_account: '300', send_as: 'approved', payments_bank_account: '090' };
export const QUICKBOOKS_DEFAULTS = { sales_invoice_account: '79', purchase_bill_account: '78', tax_code_mappings: { '20': '2', '5': '3', '0': '4' }, auto_push_invoices: true, payments_bank_account: '35' };

export async function startSandboxes(logger: Logger): Promise<Sandboxes> {
  const xero = await startXeroSandbox({ host: '127.0.0.1', limits: XERO_LIMITS, logger });
  const quickbooks = await startQuickBooksSandbox({ host: '127.0.0.1', limits: QUICKBOOKS_LIMITS, logger });
  const orgs = new Map<string, string>();
  const billNumbers = new Map<string, string>();
  return {
    xero,
    quickbooks,
    orgs,
    billNumbers,
    environment: (origin) => ({
      XERO_CLIENT_ID: xero.clientId,
      XERO_CLIENT_SECRET: xero.clientSecret,
      XERO_REDIRECT_URI: `${origin}/oauth/xero/callback`,
      XERO_API_URL: xero.apiUrl,
      XERO_IDENTITY_URL: xero.identityUrl,
      XERO_LOGIN_URL: xero.loginUrl,
      QBO_CLIENT_ID: quickbooks.clientId,
      QBO_CLIENT_SECRET: quickbooks.clientSecret,
      QBO_REDIRECT_URI: `${origin}/oauth/quickbooks/callback`,
      QBO_API_URL: quickbooks.apiUrl,
      QBO_OAUTH_URL: quickbooks.oauthUrl,
      QBO_AUTHORIZE_URL: quickbooks.authorizeUrl,
      QBO_WEBHOOK_VERIFIER_TOKEN: quickbooks.webhookVerifierToken,
    }),
    async connect(client, tenants) {
      // One at a time: the sandbox's consent is what the next user clicking "Allow" grants.
      for (const tenant of tenants) {
        if (tenant.provider === 'xero') {
          const org = xero.addOrganisation({ name: tenant.organisation, region: 'UK' });
          xero.setConsent({ organisations: [org.OrganisationID] });
          await connectThroughOAuth(client, tenant.id, 'xero');
          orgs.set(tenant.id, org.OrganisationID);
        } else {
          const company = quickbooks.addCompany({ name: tenant.organisation, country: 'UK' });
          quickbooks.setConsent({ realmId: company.realmId });
          await connectThroughOAuth(client, tenant.id, 'quickbooks');
          orgs.set(tenant.id, company.realmId);
        }
        const defaults = await client.api(tenant.id, 'PUT', '/defaults', tenant.provider === 'xero' ? XERO_DEFAULTS : QUICKBOOKS_DEFAULTS);
        if (defaults.status !== 200) throw new Error(`PUT /defaults for ${tenant.id} answered ${defaults.status}: ${JSON.stringify(defaults.body)}`);
      }
    },
    witnessBills() {
      for (const realmId of quickbooks.companies().map((c) => c.realmId)) {
        for (const bill of quickbooks.bills(realmId)) billNumbers.set(`${realmId}:${String(bill.Id)}`, String(bill.DocNumber ?? ''));
      }
    },
    async close() {
      await xero.close().catch(() => undefined);
      await quickbooks.close().catch(() => undefined);
    },
  };
}

/** A provider record of a source document, as the sandbox holds it. */
export interface HeldRecord {
  readonly state: 'live' | 'voided' | 'deleted';
  /** Gross total in pence (0 for a void). */
  readonly totalPence: number;
}

const pence = (n: unknown) => Math.round(Number(n ?? 0) * 100);

/** Invoices and bills the sandbox holds for a tenant, by their number (sales invoice number, supplier invoice number). */
export function heldDocuments(s: Sandboxes, tenant: TenantPlan): Map<string, HeldRecord[]> {
  const orgId = s.orgs.get(tenant.id)!;
  const byNumber = new Map<string, HeldRecord[]>();
  const add = (key: string, record: HeldRecord) => byNumber.set(key, [...(byNumber.get(key) ?? []), record]);
  if (tenant.provider === 'xero') {
    for (const inv of s.xero.invoices(orgId)) {
      const status = String(inv.Status);
      add(`${inv.Type === 'ACCPAY' ? 'supplier_bill' : 'sales_invoice'}:${String(inv.InvoiceNumber)}`, {
        state: status === 'VOIDED' || status === 'DELETED' ? 'voided' : 'live',
        totalPence: pence(inv.Total),
      });
    }
    return byNumber;
  }
  const qboState = (doc: JsonObject): HeldRecord['state'] => (/^Voided/.test(String(doc.PrivateNote ?? '')) && Number(doc.TotalAmt ?? 0) === 0 ? 'voided' : 'live');
  for (const inv of s.quickbooks.invoices(orgId)) add(`sales_invoice:${String(inv.DocNumber)}`, { state: qboState(inv), totalPence: pence(inv.TotalAmt) });
  for (const bill of s.quickbooks.entities(orgId, 'Bill')) {
    if (bill.status === 'Deleted') {
      const number = s.billNumbers.get(`${orgId}:${String(bill.Id)}`);
      add(`supplier_bill:${number ?? `unknown deleted bill ${String(bill.Id)}`}`, { state: 'deleted', totalPence: 0 });
    } else {
      add(`supplier_bill:${String(bill.DocNumber)}`, { state: 'live', totalPence: pence(bill.TotalAmt) });
    }
  }
  return byNumber;
}

/** Live payments at the provider for a payment reference: Xero, one per invoice it pays (number → count); QuickBooks, one with a line per invoice. */
export function heldPayments(s: Sandboxes, tenant: TenantPlan): Map<string, { invoiceNumbers: string[]; pence: number }[]> {
  const orgId = s.orgs.get(tenant.id)!;
  const byReference = new Map<string, { invoiceNumbers: string[]; pence: number }[]>();
  const add = (ref: string, p: { invoiceNumbers: string[]; pence: number }) => byReference.set(ref, [...(byReference.get(ref) ?? []), p]);
  if (tenant.provider === 'xero') {
    for (const p of s.xero.payments(orgId)) {
      if (p.Status === 'DELETED') continue;
      add(String(p.Reference ?? ''), { invoiceNumbers: [String((p.Invoice as { InvoiceNumber?: string } | null)?.InvoiceNumber ?? '')], pence: pence(p.Amount) });
    }
    return byReference;
  }
  const invoices = new Map(s.quickbooks.invoices(orgId).map((i) => [String(i.Id), String(i.DocNumber ?? '')]));
  for (const p of s.quickbooks.payments(orgId)) {
    if (/^Voided/.test(String(p.PrivateNote ?? ''))) continue;
    const lines = (p.Line as { LinkedTxn?: { TxnId: string; TxnType: string }[] }[] | undefined) ?? [];
    const numbers = lines.flatMap((l) => (l.LinkedTxn ?? []).filter((t) => t.TxnType === 'Invoice').map((t) => invoices.get(String(t.TxnId)) ?? `?${t.TxnId}`));
    add(String(p.PaymentRefNum ?? ''), { invoiceNumbers: numbers, pence: pence(p.TotalAmt) });
  }
  return byReference;
}

/**
 * 429s the sandboxes answered, and how many of them were real over-limit answers by their own
 * limit accounting: every 429 they counted less the ones the fault injector forced.
 */
export function throttled(s: Sandboxes): { xero: number; quickbooks: number; xeroByProblem: Record<string, number> } {
  let xero = 0;
  let quickbooks = 0;
  const xeroByProblem: Record<string, number> = {};
  for (const [tenantId, orgId] of s.orgs) {
    if (s.xero.organisations().some((o) => o.OrganisationID === orgId)) {
      const stats = s.xero.stats(orgId);
      xero += stats.rateLimited;
      for (const [p, n] of Object.entries(stats.byProblem)) xeroByProblem[p] = (xeroByProblem[p] ?? 0) + n;
    } else if (tenantId) {
      quickbooks += s.quickbooks.stats(orgId).throttled;
    }
  }
  return { xero, quickbooks, xeroByProblem };
}

/** Every API call each sandbox received, one JSON line each (no bodies but a batch's requestid and sizes), for a failed run's post-mortem. */
export function requestLogLines(s: Sandboxes): string[] {
  const tenantOf = new Map([...s.orgs].map(([t, o]) => [o, t]));
  const lines: ({ time: string } & Record<string, unknown>)[] = [];
  for (const r of s.xero.requests) {
    const body = r.body as Record<string, unknown[] | undefined> | undefined;
    lines.push(({
      provider: 'xero', tenant: tenantOf.get(r.tenantId ?? ''), time: new Date(r.time).toISOString(), method: r.method, path: r.path, query: r.query, status: r.status,
      dropped: r.dropped ?? false, key: r.headers['idempotency-key'], items: body && typeof body === 'object' ? Object.fromEntries(Object.entries(body).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, v!.length])) : undefined,
    }));
  }
  for (const r of s.quickbooks.requests) {
    const items = (r.body as { BatchItemRequest?: { bId?: string; operation?: string; Invoice?: { DocNumber?: string }; Bill?: { DocNumber?: string } }[] } | undefined)?.BatchItemRequest;
    lines.push(({
      provider: 'quickbooks', tenant: tenantOf.get(r.realmId ?? ''), time: new Date(r.time).toISOString(), method: r.method, path: r.path.replace(/^\/v3\/company\/[^/]+/, ''), query: r.query, status: r.status,
      dropped: r.dropped ?? false, replayed: r.replayed ?? false,
      items: items?.map((i) => `${i.bId ?? ''} ${i.operation ?? ''} ${i.Invoice?.DocNumber ?? i.Bill?.DocNumber ?? ''}`.trim()),
    }));
  }
  return lines.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)).map((l) => JSON.stringify(l));
}
