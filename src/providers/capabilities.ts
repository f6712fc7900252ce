import type { ProviderName } from '../db/schema.ts';

/** What each provider supports, so the platform can render the right settings. */
export interface ProviderCapabilities {
  readonly taxMapping: 'tax_treatment' | 'tax_code_mapping';
  readonly autoPushInvoicesDefault: boolean;
  readonly maxDocumentsPerRequest: number;
}

export const CAPABILITIES: Readonly<Record<ProviderName, ProviderCapabilities>> = {
  xero: { taxMapping: 'tax_treatment', autoPushInvoicesDefault: true, maxDocumentsPerRequest: 50 },
  quickbooks: { taxMapping: 'tax_code_mapping', autoPushInvoicesDefault: false, maxDocumentsPerRequest: 30 },
};
