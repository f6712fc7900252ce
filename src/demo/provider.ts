import type { GatewayClient } from './client.ts';

/**
 * One accounting provider behind its loopback sandbox, as the demo and the drain benchmark drive
 * it: the gateway's settings for the sandbox, the OAuth connection, posting defaults that fit the
 * sandbox organisation, and what the sandbox received, in a shape both report the same way.
 */
export type ProviderName = 'xero' | 'quickbooks';
export const PROVIDER_NAMES: readonly ProviderName[] = ['xero', 'quickbooks'];

/** One API call the sandbox received for the organisation. */
export interface CallRecord {
  readonly method: string;
  /** Under the organisation's API base, e.g. "/Contacts" (Xero) or "/batch" (QuickBooks). */
  readonly path: string;
  readonly query: Record<string, string>;
  readonly status: number;
  /** Sandbox time (ms) when it arrived. */
  readonly time: number;
  /** A request that creates documents (Xero PUT /Invoices, QuickBooks POST /batch). */
  readonly create: boolean;
  /** Documents a create request carried (0 for any other call). */
  readonly documents: number;
  /** Contacts a Xero contact request carried, for the call dump. */
  readonly contacts?: number;
  /** What a query looked up, e.g. "Customer by PrimaryEmailAddr" (QuickBooks). */
  readonly detail?: string;
}

/** The documents the sandbox holds for the organisation, as a table, and the numbers it holds twice. */
export interface Holdings {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Right-aligned columns. */
  readonly right: readonly number[];
  readonly count: number;
  /** "Type Number ×n" for every number held more than once. */
  readonly duplicates: readonly string[];
}

/** Payments, refunds and credit notes as a table; counts for the demo's checks. */
export interface MoneyHoldings {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly right: readonly number[];
  /** Payments from customers still applied (Xero: one per invoice; QuickBooks: one with a line per invoice). */
  readonly payments: number;
  readonly creditNotes: number;
}

export interface Throttling {
  /** Calls that reached the organisation (the sandbox's own count). */
  readonly calls: number;
  /** 429 answers. */
  readonly throttled: number;
  /** Which limit, where the sandbox says (Xero: minute, concurrent, day). */
  readonly detail: string;
}

export interface ContractViolationView {
  readonly method: string;
  readonly path: string;
  readonly kind: string;
  readonly message: string;
}

export interface ConnectedOrganisation {
  readonly id: string;
  readonly name: string;
  /** Shown in brackets after the name, e.g. "UK" or "UK, realm 9130…". */
  readonly detail: string;
}

export interface DemoProvider {
  readonly name: ProviderName;
  /** "Xero", "QuickBooks Online". */
  readonly title: string;
  /** For column heads and short sentences: "Xero", "QuickBooks". */
  readonly short: string;
  /** "organisation" (Xero), "company" (QuickBooks). */
  readonly orgNoun: string;
  readonly sandboxUrl: string;
  readonly perMinute: number;
  /** e.g. "60 calls/min, 5 at once, 5,000/day". */
  readonly limitsText: string;
  /** The most documents Ledgerport sends in one create request. */
  readonly documentsPerRequest: number;
  /** The create request, e.g. "PUT /Invoices" or "POST /batch". */
  readonly createCall: string;
  /** Settings that point Ledgerport at the sandbox, for a gateway at `origin`. */
  environment(origin: string): Record<string, string>;
  /** A new sandbox organisation, connected to `tenantId` through the real OAuth flow. */
  connect(client: GatewayClient, tenantId: string, organisationName: string): Promise<ConnectedOrganisation>;
  /** PUT /defaults body that fits a sandbox organisation, and how to say it. */
  readonly defaults: Record<string, unknown>;
  readonly defaultsText: string;
  /** Sandbox time in ms (the clock of CallRecord.time). */
  now(): number;
  calls(orgId: string): CallRecord[];
  throttling(orgId: string): Throttling;
  holdings(orgId: string): Holdings;
  /** Payments and credit notes the sandbox holds, and where each is applied. */
  money(orgId: string): MoneyHoldings;
  /** Request bodies that broke the provider's published contract; undefined when the sandbox does not check. */
  contractViolations(): readonly ContractViolationView[] | undefined;
  close(): Promise<void>;
}

/** Numbers held more than once, from "Type Number" keys. */
export function duplicateKeys(keys: Iterable<string>): string[] {
  const seen = new Map<string, number>();
  for (const key of keys) seen.set(key, (seen.get(key) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([key, n]) => `${key} ×${n}`);
}

/** "GET /Contacts" (or "GET /query (Item by Name)") → count, in order of first appearance. */
export function callBreakdown(calls: readonly CallRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of calls) {
    const key = `${c.method} ${c.path}${c.detail ? ` (${c.detail})` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

export const money = (n: unknown) => (typeof n === 'number' ? n.toFixed(2) : String(n ?? ''));
