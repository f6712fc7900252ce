import type { JsonObject, RequestLogEntry, XeroSandbox } from '../sandbox/xero/index.ts';

/** What the Xero sandbox saw for one organisation, as the demo and the drain benchmark report it. */
export interface SandboxFacts {
  readonly requests: RequestLogEntry[];
  /** PUT/POST /Invoices: each is one batch of invoices. */
  readonly createRequests: RequestLogEntry[];
  readonly invoices: JsonObject[];
  /** Type and InvoiceNumber of every number Xero holds more than once. */
  readonly duplicates: string[];
}

export const isInvoiceCreate = (r: RequestLogEntry) => (r.method === 'PUT' || r.method === 'POST') && /\/Invoices\/?$/.test(r.path);

/** How many invoices a create request carried (0 when its body was not a batch). */
export function invoicesInRequest(r: RequestLogEntry): number {
  const body = r.body as { Invoices?: unknown[] } | undefined;
  return Array.isArray(body?.Invoices) ? body.Invoices.length : 0;
}

export function sandboxFacts(sandbox: XeroSandbox, organisationId: string): SandboxFacts {
  const requests = sandbox.requests.filter((r) => r.tenantId === organisationId);
  const invoices = sandbox.invoices(organisationId);
  const seen = new Map<string, number>();
  for (const invoice of invoices) {
    const key = `${String(invoice.Type)} ${String(invoice.InvoiceNumber)}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return {
    requests,
    createRequests: requests.filter(isInvoiceCreate),
    invoices,
    duplicates: [...seen].filter(([, n]) => n > 1).map(([key, n]) => `${key} ×${n}`),
  };
}

/** "GET /Contacts" → count, in order of first appearance; the /api.xro/2.0 prefix is dropped. */
export function callBreakdown(requests: readonly RequestLogEntry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const key = `${r.method} ${r.path.replace(/^\/api\.xro\/2\.0/, '')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
