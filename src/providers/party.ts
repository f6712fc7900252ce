import type { SalesInvoiceSource, SupplierBillSource } from '../ingest/ops-envelope.ts';
import type { DocumentToPush } from './types.ts';

/** The customer of a sales invoice or the supplier of a bill, as the platform sent it. */
export type Party = { id: string; name: string; email?: string };

export function partyOf(doc: DocumentToPush): Party {
  const source = doc.source as unknown as SalesInvoiceSource | SupplierBillSource;
  return 'customer' in source ? source.customer : source.supplier;
}
