import pg from 'pg';
import type { Logger } from 'pino';
import type { GatewayClient } from '../../src/demo/client.ts';
import { connectThroughOAuth } from '../../src/demo/connect.ts';
import { XERO_LIMITS } from '../../src/demo/xero-provider.ts';
import { startXeroSandbox, type RequestLogEntry, type XeroSandbox } from '../../src/sandbox/xero/index.ts';
import { sleep } from './stats.ts';

/** The demo's posting defaults for a fresh UK sandbox organisation. */
export const XERO_BENCH_DEFAULTS = { sales_invoice_account: '200', purchase_bill_account: '300', send_as: 'approved', payments_bank_account: '090' };

/** The Xero sandbox on loopback with Xero's real limits per organisation (60/min, 5 at once, 5,000/day), real time. */
export function startBenchXeroSandbox(logger: Logger): Promise<XeroSandbox> {
  return startXeroSandbox({ host: '127.0.0.1', limits: XERO_LIMITS, logger });
}

export function xeroEnvironment(sandbox: XeroSandbox, origin: string): Record<string, string> {
  return {
    XERO_CLIENT_ID: sandbox.clientId,
    XERO_CLIENT_SECRET: sandbox.clientSecret,
    XERO_REDIRECT_URI: `${origin}/oauth/xero/callback`,
    XERO_API_URL: sandbox.apiUrl,
    XERO_IDENTITY_URL: sandbox.identityUrl,
    XERO_LOGIN_URL: sandbox.loginUrl,
  };
}

/** A new sandbox organisation for `tenantId`, connected through the real OAuth flow, defaults saved; its Xero tenant id. */
export async function connectXeroOrg(sandbox: XeroSandbox, client: GatewayClient, tenantId: string, name: string): Promise<string> {
  const org = sandbox.addOrganisation({ name, region: 'UK' });
  sandbox.setConsent({ organisations: [org.OrganisationID] });
  await connectThroughOAuth(client, tenantId, 'xero');
  const defaults = await client.api(tenantId, 'PUT', '/defaults', XERO_BENCH_DEFAULTS);
  if (defaults.status !== 200) throw new Error(`PUT /defaults for ${tenantId} answered ${defaults.status}: ${JSON.stringify(defaults.body)}`);
  return org.OrganisationID;
}

/** The invoice numbers a PUT /Invoices request carried. */
export function invoiceNumbersOf(entry: RequestLogEntry): string[] {
  const list = (entry.body as { Invoices?: { InvoiceNumber?: string }[] } | undefined)?.Invoices;
  return Array.isArray(list) ? list.map((i) => String(i.InvoiceNumber ?? '')) : [];
}

export const isInvoiceCreate = (r: RequestLogEntry) => r.method === 'PUT' && /\/Invoices\/?$/.test(r.path);

/** Documents by status for the given tenants (all of them when omitted), straight from the database. */
export async function documentStatuses(db: pg.Client, tenants?: readonly string[]): Promise<Record<string, number>> {
  const { rows } = tenants
    ? await db.query<{ status: string; n: string }>('select status, count(*) as n from documents where tenant_id = any($1) group by status', [tenants])
    : await db.query<{ status: string; n: string }>('select status, count(*) as n from documents group by status');
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** Waits until `expected` documents of the tenants are synced; false after `timeoutMs` or when one failed. */
export async function waitForSynced(db: pg.Client, tenants: readonly string[] | undefined, expected: number, timeoutMs: number, everyMs = 100): Promise<{ done: boolean; statuses: Record<string, number> }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const statuses = await documentStatuses(db, tenants);
    if ((statuses.synced ?? 0) >= expected) return { done: true, statuses };
    if (statuses.failed || performance.now() > deadline) return { done: false, statuses };
    await sleep(everyMs);
  }
}
