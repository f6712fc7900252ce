import { sql } from 'kysely';
import type { Invoices } from 'xero-node';
import type { Database } from '../../db/database.ts';
import { CAPABILITIES } from '../capabilities.ts';
import type { AccountingProvider, DocumentOutcome, ProviderOAuth, ProviderSession } from '../types.ts';
import { callXero, type XeroClientDeps } from './client.ts';
import { resolveXeroContacts } from './contacts.ts';
import { partyOf, toXeroInvoice, type XeroInvoiceModel } from './mapping.ts';
import type { XeroTaxRate } from './tax.ts';

// Tax rates change rarely; a day-old copy is fine, and a mapping failure refreshes it.
const TAX_RATES_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export function createXeroProvider(deps: XeroClientDeps & { db: Database; oauth: ProviderOAuth }): AccountingProvider {
  async function taxRates(session: ProviderSession, forceRefresh = false): Promise<XeroTaxRate[]> {
    if (!forceRefresh) {
      const cached = await deps.db
        .selectFrom('provider_catalog')
        .select(['data', 'fetched_at'])
        .where('tenant_id', '=', session.tenantId)
        .where('kind', '=', 'tax_rates')
        .executeTakeFirst();
      if (cached && Date.now() - cached.fetched_at.getTime() < TAX_RATES_MAX_AGE_MS) return cached.data as XeroTaxRate[];
    }
    const body = await callXero(deps, session, 'getTaxRates', (api, orgId) => api.getTaxRates(orgId));
    const rates: XeroTaxRate[] = (body.taxRates ?? []).map((r) => ({
      taxType: r.taxType ?? '',
      name: r.name ?? '',
      status: String(r.status ?? ''),
      effectiveRate: Number(r.effectiveRate ?? 0),
      canApplyToRevenue: Boolean(r.canApplyToRevenue),
      canApplyToExpenses: Boolean(r.canApplyToExpenses),
    }));
    await deps.db
      .insertInto('provider_catalog')
      .values({ tenant_id: session.tenantId, kind: 'tax_rates', data: JSON.stringify(rates) })
      .onConflict((oc) => oc.columns(['tenant_id', 'kind']).doUpdateSet({ data: JSON.stringify(rates), fetched_at: sql`now()` }))
      .execute();
    return rates;
  }

  return {
    name: 'xero',
    capabilities: CAPABILITIES.xero,
    oauth: deps.oauth,

    async prepareBatch(session, documents) {
      const { contactIds, failures } = await resolveXeroContacts(deps, session, documents.map(partyOf));
      let rates = await taxRates(session);
      const invoices: XeroInvoiceModel[] = [];
      const documentIds: string[] = [];
      const refused: DocumentOutcome[] = [];
      for (const doc of documents) {
        const party = partyOf(doc);
        const contactId = contactIds.get(party.id);
        if (!contactId) {
          refused.push({ documentId: doc.documentId, status: 'failed', errors: [{ message: failures.get(party.id) ?? `no Xero contact for "${party.name}"`, field: 'contact' }] });
          continue;
        }
        let mapped = toXeroInvoice(doc, contactId, rates);
        if ('errors' in mapped && mapped.errors.some((e) => e.field === 'tax_rate')) {
          rates = await taxRates(session, true); // the organisation may have added a rate since
          mapped = toXeroInvoice(doc, contactId, rates);
        }
        if ('errors' in mapped) {
          refused.push({ documentId: doc.documentId, status: 'failed', errors: mapped.errors });
          continue;
        }
        invoices.push(mapped.invoice);
        documentIds.push(doc.documentId);
      }
      return { request: { invoices }, documentIds, refused };
    },

    async sendBatch(session, batch, idempotencyKey) {
      const body = await callXero(deps, session, 'createInvoices', (api, orgId) =>
        // summarizeErrors=false: one element per invoice, each OK or with its own errors.
        api.createInvoices(orgId, batch.request as Invoices, false, 4, idempotencyKey),
      );
      const results = body.invoices ?? [];
      return batch.documentIds.map((documentId, index): DocumentOutcome => {
        const invoice = results[index];
        const messages = [
          ...(invoice?.validationErrors ?? []).map((v) => ({ message: v.message ?? 'validation error' })),
          ...(invoice?.lineItems ?? []).flatMap((line, lineIndex) =>
            ((line as { validationErrors?: { message?: string }[] }).validationErrors ?? []).map((v) => ({ message: v.message ?? 'validation error', line: lineIndex })),
          ),
        ];
        if (!invoice || invoice.hasErrors || invoice.statusAttributeString === 'ERROR' || messages.length > 0 || !invoice.invoiceID) {
          return { documentId, status: 'failed', errors: messages.length ? messages : [{ message: 'Xero returned no invoice for this document' }] };
        }
        return { documentId, status: 'synced', providerId: invoice.invoiceID, providerNumber: invoice.invoiceNumber ?? null };
      });
    },
  };
}
