import type { Database } from '../../db/database.ts';
import { partyOf } from '../party.ts';
import type { DocumentOutcome, DocumentToPush, ProviderMessage, ProviderSession } from '../types.ts';
import type { XeroClientDeps } from './client.ts';
import { resolveXeroContacts } from './contacts.ts';
import type { XeroTaxRate } from './tax.ts';

export type TaxRatesOf = (session: ProviderSession, refresh?: boolean) => Promise<XeroTaxRate[]>;
export type XeroDeps = XeroClientDeps & { db: Database };

/**
 * Resolves each document's contact and maps it with the organisation's tax rates (read again
 * once if a rate is missing: it may have been added since). Documents that cannot be mapped are
 * refused with the reason; `map` returns the model or the errors.
 */
export async function mapDocuments<M>(
  deps: XeroDeps,
  session: ProviderSession,
  documents: readonly DocumentToPush[],
  taxRates: TaxRatesOf,
  map: (doc: DocumentToPush, contactId: string, rates: readonly XeroTaxRate[]) => { model: M } | { errors: ProviderMessage[] },
): Promise<{ mapped: { doc: DocumentToPush; model: M }[]; refused: DocumentOutcome[] }> {
  const mapped: { doc: DocumentToPush; model: M }[] = [];
  const refused: DocumentOutcome[] = [];
  if (documents.length === 0) return { mapped, refused };
  const { contactIds, failures } = await resolveXeroContacts(deps, session, documents.map(partyOf));
  let rates = await taxRates(session);
  for (const doc of documents) {
    const party = partyOf(doc);
    const contactId = contactIds.get(party.id);
    if (!contactId) {
      refused.push({ documentId: doc.documentId, status: 'failed', errors: [{ message: failures.get(party.id) ?? `no Xero contact for "${party.name}"`, field: 'contact' }] });
      continue;
    }
    let result = map(doc, contactId, rates);
    if ('errors' in result && result.errors.some((e) => e.field === 'tax_rate')) {
      rates = await taxRates(session, true);
      result = map(doc, contactId, rates);
    }
    if ('errors' in result) refused.push({ documentId: doc.documentId, status: 'failed', errors: result.errors });
    else mapped.push({ doc, model: result.model });
  }
  return { mapped, refused };
}
