import type { ProviderName } from '../db/schema.ts';
import type { SyncRunKind } from '../db/schema-records.ts';

/** How the console names things, in one place for every page and the live notices. */
export const PROVIDER_TITLES: Record<ProviderName, string> = { xero: 'Xero', quickbooks: 'QuickBooks Online' };

export const RUN_KIND_WORDS: Record<SyncRunKind, string> = {
  push: 'Push',
  contact_import: 'Contact import',
  purchase_order_import: 'Purchase order import',
  payment_refresh: 'Payment read-back',
  contact_refresh: 'Contact refresh',
  purchase_order_refresh: 'Purchase order refresh',
  reconciliation: 'Reconciliation',
};
