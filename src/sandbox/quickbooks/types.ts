// Shared types for the QuickBooks Online sandbox. Entities are kept in QuickBooks' own JSON shape.

import type { JsonObject } from '../shared/json.ts';
import type { BaseRequestLogEntry, BaseTokenRequestLogEntry } from '../shared/request-log.ts';

export type { Json, JsonObject } from '../shared/json.ts';
export type { SandboxClock } from '../shared/clock.ts';

export type Country = 'US' | 'UK' | 'CA' | 'AU';

/** Entity types the sandbox knows, spelt as in QuickBooks' JSON (`{"Invoice": {...}}`). */
export type EntityName = 'Account' | 'TaxCode' | 'TaxRate' | 'Item' | 'Customer' | 'Vendor' | 'Invoice' | 'Bill' | 'PurchaseOrder'
  | 'Payment' | 'CreditMemo' | 'RefundReceipt';

export const ENTITY_NAMES: readonly EntityName[] = [
  'Account', 'TaxCode', 'TaxRate', 'Item', 'Customer', 'Vendor', 'Invoice', 'Bill', 'PurchaseOrder', 'Payment', 'CreditMemo', 'RefundReceipt',
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
  /** Voided transactions stay readable with zero amounts ("Voided" in PrivateNote); they cannot be edited. */
  voided?: boolean;
}

export interface Company {
  realmId: string;
  name: string;
  country: Country;
  currency: string;
}

/** One call to apiUrl; `path` is under apiUrl, e.g. `/v3/company/9130.../invoice`. */
export interface RequestLogEntry extends BaseRequestLogEntry {
  realmId?: string;
  /** True when the answer was replayed for a repeated `requestid`. */
  replayed?: boolean;
}

export interface TokenRequestLogEntry extends BaseTokenRequestLogEntry {
  realmId?: string;
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
