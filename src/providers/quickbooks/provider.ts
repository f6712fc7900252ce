import { createHash } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import { CAPABILITIES } from '../capabilities.ts';
import { accountProblems } from '../check-accounts.ts';
import type { AccountingProvider, DocumentToPush, ProviderOAuth, ProviderSession } from '../types.ts';
import { callQuickBooks, qboLiteral, query, type QuickBooksClientDeps } from './client.ts';
import { quickbooksRateKeys } from '../rate-governor.ts';
import { planBatch, type QboBatchRequest } from './plan.ts';
import { createQuickBooksRecords } from './records.ts';
import { sendPlannedBatch } from './send.ts';

// Credit notes and refunds post to the sales side, like invoices.
const accountFor = (doc: DocumentToPush) => (category: string | undefined) =>
  (category ? doc.defaults.account_mappings[category] : undefined) ??
  (doc.kind === 'supplier_bill' ? doc.defaults.purchase_bill_account : doc.defaults.sales_invoice_account);

/**
 * QuickBooks Online through plain HTTPS: documents go up in batch requests (≤ 30 documents) of
 * any kind and operation, carrying a requestid (derived ones for the follow-up calls, see
 * send.ts), so a replayed batch returns the first answers instead of writing twice.
 *
 * `idempotencyWindowMs`: how long a requestid is trusted to be remembered. Intuit documents what
 * a repeated requestid does ("the service sends the same response as it did for the original
 * request": https://blogs.intuit.com/2015/04/06/15346/, and
 * https://developer.intuit.com/app/developer/qbo/docs/learn/learn-basic-field-definitions) but
 * not for how long, so QBO_REQUESTID_WINDOW_MINUTES is 5 by default: replays soon after a lost
 * answer use the requestid, older unknown outcomes are settled by looking the documents up.
 */
export function createQuickBooksProvider(deps: QuickBooksClientDeps & { db: Database; oauth: ProviderOAuth; idempotencyWindowMs: number }): AccountingProvider {
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
    idempotencyWindowMs: deps.idempotencyWindowMs,
    records,
    paceDelayMs: (session) => deps.governor.paceDelayMs(quickbooksRateKeys(session.orgId)),

    prepareBatch(session, documents) {
      return planBatch({ deps, session, accountFor, itemsFor: (accounts) => itemsFor(session, accounts) }, documents);
    },

    sendBatch(session, batch, idempotencyKey) {
      return sendPlannedBatch(deps, session, batch.request as QboBatchRequest, batch.documentIds, idempotencyKey);
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
