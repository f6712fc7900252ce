import type { Invoices } from 'xero-node';
import type { Database } from '../../db/database.ts';
import { CAPABILITIES } from '../capabilities.ts';
import { cachedCatalog } from '../catalog.ts';
import type { AccountingProvider, DocumentOutcome, ProviderOAuth, ProviderSession } from '../types.ts';
import { callXero, type XeroClientDeps } from './client.ts';
import { xeroRateKeys } from '../rate-governor.ts';
import { mapDocuments } from './map-documents.ts';
import { toXeroInvoice } from './mapping.ts';
import { createXeroRecords } from './records.ts';
import { chooseTaxType, type XeroTaxRate } from './tax.ts';
import { accountProblems } from '../check-accounts.ts';
import type { LaneRequest } from './batch-common.ts';
import { prepareLane, sendLane } from './lanes.ts';

/**
 * `idempotencyWindowMs`: how long Xero keeps an Idempotency-Key. Xero: "keys are stored for 6
 * minutes from the time of the first call, after which they expire"
 * (https://developer.xero.com/documentation/guides/idempotent-requests/idempotency/);
 * XERO_IDEMPOTENCY_WINDOW_MINUTES, 5 by default, trusts a replay a minute less than that.
 */
export function createXeroProvider(deps: XeroClientDeps & { db: Database; oauth: ProviderOAuth; idempotencyWindowMs: number }): AccountingProvider {
  const records = createXeroRecords(deps);
  const taxRates = async (session: ProviderSession, refresh = false): Promise<XeroTaxRate[]> => {
    const { data } = await cachedCatalog(deps.db, records, session, 'tax_rates', { refresh });
    return data.map((r) => ({
      taxType: r.code,
      name: r.name,
      status: r.status === 'active' ? 'ACTIVE' : 'ARCHIVED',
      effectiveRate: r.rate,
      canApplyToRevenue: r.appliesToSales,
      canApplyToExpenses: r.appliesToPurchases,
    }));
  };

  return {
    name: 'xero',
    capabilities: CAPABILITIES.xero,
    oauth: deps.oauth,
    idempotencyWindowMs: deps.idempotencyWindowMs,
    records,
    paceDelayMs: (session) => deps.governor.paceDelayMs(xeroRateKeys(session.orgId)),
    checkDefaults(defaults, catalog) {
      const problems = accountProblems(defaults, catalog.accounts);
      const rates = catalog.taxRates.map((r) => ({
        taxType: r.code, name: r.name, status: r.status === 'active' ? 'ACTIVE' : 'ARCHIVED',
        effectiveRate: r.rate, canApplyToRevenue: r.appliesToSales, canApplyToExpenses: r.appliesToPurchases,
      }));
      for (const side of ['revenue', 'expenses'] as const) {
        const chosen = chooseTaxType(rates, { treatment: defaults.tax_treatment, side });
        if ('error' in chosen) problems.push({ field: 'tax_treatment', message: `${defaults.tax_treatment}: ${chosen.error}` });
      }
      return problems;
    },

    async prepareBatch(session, documents) {
      const lane = documents[0] ? CAPABILITIES.xero.lane(documents[0].kind, documents[0].operation) : 'Invoices:create';
      if (lane !== 'Invoices:create') return prepareLane(deps, session, lane, documents, taxRates);
      const { mapped, refused } = await mapDocuments(deps, session, documents, taxRates, (doc, contactId, rates) => {
        const result = toXeroInvoice(doc, contactId, rates);
        return 'errors' in result ? result : { model: result.invoice };
      });
      const invoices = mapped.map((m) => m.model);
      const documentIds = mapped.map((m) => m.doc.documentId);
      return { request: { invoices }, documentIds, refused };
    },

    async sendBatch(session, batch, idempotencyKey) {
      // Only the other lanes' requests name their lane; a stored invoice-create request is `{ invoices }`.
      if ((batch.request as { lane?: string }).lane) return sendLane(deps, session, batch.request as LaneRequest, batch.documentIds, idempotencyKey);
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
