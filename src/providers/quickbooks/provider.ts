import { createHash } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import { CAPABILITIES } from '../capabilities.ts';
import { accountProblems } from '../check-accounts.ts';
import type { AccountingProvider, DocumentOutcome, DocumentToPush, ProviderOAuth, ProviderSession } from '../types.ts';
import { partyOf } from '../party.ts';
import { callQuickBooks, faultMessages, qboLiteral, query, type QuickBooksClientDeps } from './client.ts';
import { resolveQuickBooksParties } from './contacts.ts';
import { toQuickBooksDocument } from './mapping.ts';
import { createQuickBooksRecords } from './records.ts';

interface BatchRequest {
  BatchItemRequest: { bId: string; operation: 'create'; Invoice?: unknown; Bill?: unknown }[];
}
interface BatchResponse {
  BatchItemResponse?: ({ bId: string; Fault?: unknown } & Record<string, unknown>)[];
}

const accountFor = (doc: DocumentToPush) => (category: string | undefined) =>
  (category ? doc.defaults.account_mappings[category] : undefined) ??
  (doc.kind === 'sales_invoice' ? doc.defaults.sales_invoice_account : doc.defaults.purchase_bill_account);

/**
 * QuickBooks Online through plain HTTPS: documents go up in batch requests (≤ 30 operations)
 * carrying a requestid, so a replayed batch returns the first answer instead of creating twice.
 */
export function createQuickBooksProvider(deps: QuickBooksClientDeps & { db: Database; oauth: ProviderOAuth }): AccountingProvider {
  const records = createQuickBooksRecords(deps);
  // Items found or created, by company and account: looked up once, not on every batch.
  const knownItems = new Map<string, string>();

  /** Sales lines need an item; one service item per income account, found or created once. */
  async function itemsFor(session: ProviderSession, accountIds: readonly string[]): Promise<Map<string, string>> {
    const items = new Map<string, string>();
    for (const accountId of new Set(accountIds)) {
      const cacheKey = `${session.orgId}|${accountId}`;
      const known = knownItems.get(cacheKey);
      if (known) {
        items.set(accountId, known);
        continue;
      }
      const name = `Sales (account ${accountId})`;
      const [existing] = await query<{ Id: string }>(deps, session, 'Item', `select * from Item where Name = ${qboLiteral(name)}`);
      if (existing) {
        items.set(accountId, existing.Id);
        knownItems.set(cacheKey, existing.Id);
        continue;
      }
      const requestid = `lp-item-${createHash('sha256').update(`${session.tenantId}|${accountId}`).digest('base64url').slice(0, 30)}`;
      const created = await callQuickBooks<{ Item: { Id: string } }>(deps, session, 'create Item', {
        method: 'POST',
        path: 'item',
        query: { requestid },
        body: { Name: name, Type: 'Service', IncomeAccountRef: { value: accountId } },
      });
      items.set(accountId, created.Item.Id);
      knownItems.set(cacheKey, created.Item.Id);
    }
    return items;
  }

  return {
    name: 'quickbooks',
    capabilities: CAPABILITIES.quickbooks,
    oauth: deps.oauth,
    records,

    async prepareBatch(session, documents) {
      const sales = documents.filter((d) => d.kind === 'sales_invoice');
      const bills = documents.filter((d) => d.kind === 'supplier_bill');
      const customers = await resolveQuickBooksParties(deps, session, 'customer', sales.map(partyOf));
      const vendors = await resolveQuickBooksParties(deps, session, 'vendor', bills.map(partyOf));
      const saleAccounts = sales.flatMap((d) => (d.source.lines as { category?: string }[]).map((l) => accountFor(d)(l.category))).filter((a): a is string => Boolean(a));
      const items = await itemsFor(session, saleAccounts);

      const request: BatchRequest = { BatchItemRequest: [] };
      const documentIds: string[] = [];
      const refused: DocumentOutcome[] = [];
      for (const doc of documents) {
        const party = partyOf(doc);
        const resolved = doc.kind === 'sales_invoice' ? customers : vendors;
        const partyId = resolved.ids.get(party.id);
        if (!partyId) {
          refused.push({ documentId: doc.documentId, status: 'failed', errors: [{ message: resolved.failures.get(party.id) ?? `no QuickBooks record for "${party.name}"`, field: 'contact' }] });
          continue;
        }
        const mapped = toQuickBooksDocument(doc, partyId, { accountFor: accountFor(doc), itemFor: (accountId) => items.get(accountId) ?? '' });
        if ('errors' in mapped) {
          refused.push({ documentId: doc.documentId, status: 'failed', errors: mapped.errors });
          continue;
        }
        request.BatchItemRequest.push({ bId: String(documentIds.length), operation: 'create', [mapped.entity]: mapped.body });
        documentIds.push(doc.documentId);
      }
      return { request, documentIds, refused };
    },

    async sendBatch(session, batch, idempotencyKey) {
      const body = await callQuickBooks<BatchResponse>(deps, session, 'batch create', {
        method: 'POST',
        path: 'batch',
        // requestid (≤ 50 characters) makes the whole batch idempotent at QuickBooks.
        query: { requestid: idempotencyKey.slice(0, 50) },
        body: batch.request,
      });
      const byBId = new Map((body.BatchItemResponse ?? []).map((r) => [r.bId, r]));
      return batch.documentIds.map((documentId, index): DocumentOutcome => {
        const item = byBId.get(String(index));
        if (!item) return { documentId, status: 'failed', errors: [{ message: 'QuickBooks returned no result for this document' }] };
        if (item.Fault) return { documentId, status: 'failed', errors: faultMessages(item) };
        const entity = (item.Invoice ?? item.Bill) as { Id?: string; DocNumber?: string } | undefined;
        if (!entity?.Id) return { documentId, status: 'failed', errors: [{ message: 'QuickBooks returned no record for this document' }] };
        return { documentId, status: 'synced', providerId: entity.Id, providerNumber: entity.DocNumber ?? null };
      });
    },

    checkDefaults(defaults, catalog) {
      const problems = accountProblems(defaults, catalog.accounts);
      const codes = new Map(catalog.taxRates.map((r) => [r.code, r]));
      for (const [rate, code] of Object.entries(defaults.tax_code_mappings)) {
        const taxCode = codes.get(code);
        if (!taxCode) problems.push({ field: `tax_code_mappings.${rate}`, message: `the company has no tax code "${code}"` });
        else if (taxCode.status !== 'active') problems.push({ field: `tax_code_mappings.${rate}`, message: `tax code "${code}" (${taxCode.name}) is inactive` });
      }
      return problems;
    },
  };
}
