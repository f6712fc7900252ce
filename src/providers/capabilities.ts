import type { DocumentKind, ProviderName } from '../db/schema.ts';
import type { DocumentOperation } from './types.ts';

/** What each provider supports, so the platform can render the right settings. */
export interface ProviderCapabilities {
  readonly taxMapping: 'tax_treatment' | 'tax_code_mapping';
  readonly autoPushInvoicesDefault: boolean;
  readonly maxDocumentsPerRequest: number;
  /**
   * Documents that can go up in one request share a lane: a push batch holds documents of one
   * lane only (the oldest queued document's), at most maxDocumentsPerRequest of them.
   */
  lane(kind: DocumentKind, operation: DocumentOperation): string;
}

/** Xero: one endpoint per lane (PUT creates, POST updates and voids; payments and refunds are both Payments). */
function xeroLane(kind: DocumentKind, operation: DocumentOperation): string {
  const endpoint = kind === 'credit_note' ? 'CreditNotes' : kind === 'payment' || kind === 'refund' ? 'Payments' : 'Invoices';
  return `${endpoint}:${operation === 'create' ? 'create' : endpoint === 'Payments' ? 'change' : 'write'}`;
}

/** QuickBooks: the batch endpoint takes any mix of entities and operations. */
const quickbooksLane = (): string => 'batch';

export const CAPABILITIES: Readonly<Record<ProviderName, ProviderCapabilities>> = {
  xero: { taxMapping: 'tax_treatment', autoPushInvoicesDefault: true, maxDocumentsPerRequest: 50, lane: xeroLane },
  quickbooks: { taxMapping: 'tax_code_mapping', autoPushInvoicesDefault: false, maxDocumentsPerRequest: 30, lane: quickbooksLane },
};

/** Every document kind and operation, for finding a lane's members. */
export const DOCUMENT_KINDS: readonly DocumentKind[] = ['sales_invoice', 'supplier_bill', 'credit_note', 'payment', 'refund'];
export const OPERATIONS: readonly DocumentOperation[] = ['create', 'update', 'void'];
