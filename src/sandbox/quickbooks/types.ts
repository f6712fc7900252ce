// Shared types for the QuickBooks Online sandbox. Entities are kept in QuickBooks' own JSON shape.

export type Country = 'US' | 'UK' | 'CA' | 'AU';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface SandboxClock {
  /** Sandbox time in epoch ms (scaled by timeScale since start). */
  now(): number;
  /** How many sandbox ms pass per real ms. */
  readonly scale: number;
  /** Convert a sandbox duration to a real duration (ms). */
  toRealMs(sandboxMs: number): number;
}

/** Entity types the sandbox knows, spelt as in QuickBooks' JSON (`{"Invoice": {...}}`). */
export type EntityName = 'Account' | 'TaxCode' | 'TaxRate' | 'Item' | 'Customer' | 'Vendor' | 'Invoice' | 'Bill' | 'PurchaseOrder';

export const ENTITY_NAMES: readonly EntityName[] = [
  'Account', 'TaxCode', 'TaxRate', 'Item', 'Customer', 'Vendor', 'Invoice', 'Bill', 'PurchaseOrder',
];

/** One stored entity. `data` holds every field except Id, SyncToken, MetaData, domain and sparse. */
export interface EntityRecord {
  Id: string;
  syncToken: number;
  createdMs: number;
  /** Whole seconds: QuickBooks' LastUpdatedTime has no fraction. */
  updatedMs: number;
  data: JsonObject;
  /** Deleted transactions stay as tombstones for change data capture. */
  deleted?: boolean;
}

export interface Company {
  realmId: string;
  name: string;
  country: Country;
  currency: string;
}

export interface RequestLogEntry {
  method: string;
  /** Path under apiUrl, e.g. `/v3/company/9130.../invoice`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  /** Sandbox time (ms) when the request arrived. */
  time: number;
  realmId?: string;
  /** True when the write was applied but the socket was destroyed without a response. */
  dropped?: boolean;
  /** True when the answer was replayed for a repeated `requestid`. */
  replayed?: boolean;
}

export interface TokenRequestLogEntry {
  grant_type: string;
  client_id?: string;
  realmId?: string;
  status: number;
  error?: string;
  time: number;
}

export interface RateLimits {
  /** Requests per realm per rolling minute (QuickBooks: 500). */
  perMinute: number;
  /** Requests in flight per realm (QuickBooks: 10). */
  concurrent: number;
}

export interface CompanyStats {
  /** API calls that reached the realm (after authentication). */
  calls: number;
  /** Calls answered 429 (limits or force429). */
  throttled: number;
  /** Operations inside batch requests (each batch counts as one call). */
  batchOperations: number;
}

/** One QuickBooks error inside `Fault.Error`. */
export interface FaultError {
  Message: string;
  Detail: string;
  code: string;
  element?: string;
}
