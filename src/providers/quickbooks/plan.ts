import type { Database } from '../../db/database.ts';
import type { PaymentSource, RefundSource } from '../../ingest/ops-envelope.ts';
import type { DocumentOperation, DocumentOutcome, DocumentToPush, PreparedBatch, ProviderMessage, ProviderSession } from '../types.ts';
import { partyOf, type Party } from '../party.ts';
import { qboLiteral, query, type QuickBooksClientDeps } from './client.ts';
import { resolveQuickBooksParties } from './contacts.ts';
import { ENTITY_OF, toQuickBooksDocument, type QboEntity } from './mapping.ts';
import { needsQuickBooksRoundingLine } from './rounding.ts';
import { bankAccountOf, creditApplications, invoiceLinks, toQuickBooksPayment, toQuickBooksRefund } from './money.ts';

export interface BatchItem { bId: string; operation: 'create' | 'update' | 'delete'; optionsData?: 'void'; [entity: string]: unknown }
export interface QboRecord { Id: string; SyncToken: string; [field: string]: unknown }

/** One document of a prepared batch: its items in the first call and what follows once their answers are known. */
export interface PlannedDocument {
  readonly documentId: string;
  readonly entity: QboEntity;
  readonly operation: DocumentOperation;
  /** Its items in the first call; the first one answers for the document unless `then` does. */
  readonly bIds: string[];
  /** A second call: apply a created credit memo to invoices, or delete a credit memo once the payments applying it are gone. */
  readonly then?: { readonly apply: { invoiceId: string; amount: number | null }[] } | { readonly deleteCreditMemo: { Id: string; SyncToken: string } };
  /** What was stored at the last sync, returned again where this push does not change it. */
  readonly refs?: Record<string, unknown>;
  /** Void of a record QuickBooks no longer has: nothing to send (its id kept for the outcome). */
  readonly gone?: boolean;
  readonly providerId?: string;
}

/** The stored request: the first call's body plus the plan (only BatchItemRequest is sent). */
export interface QboBatchRequest { BatchItemRequest: BatchItem[]; documents?: PlannedDocument[] }

export interface PlanContext {
  readonly deps: QuickBooksClientDeps & { db: Database };
  readonly session: ProviderSession;
  accountFor(doc: DocumentToPush): (category: string | undefined) => string | null;
  itemsFor(accountIds: readonly string[]): Promise<Map<string, string>>;
}

const LOOKUP_CHUNK = 30;
const chunks = <T>(items: readonly T[]) => Array.from({ length: Math.ceil(items.length / LOOKUP_CHUNK) }, (_, i) => items.slice(i * LOOKUP_CHUNK, (i + 1) * LOOKUP_CHUNK));

/** Current records by Id, one query per entity (and per 30 ids): the SyncTokens updates and voids need. */
export async function readRecords(ctx: { deps: QuickBooksClientDeps; session: ProviderSession }, wanted: readonly { entity: string; id: string }[]): Promise<Map<string, QboRecord>> {
  const found = new Map<string, QboRecord>();
  const byEntity = new Map<string, Set<string>>();
  for (const w of wanted) byEntity.set(w.entity, (byEntity.get(w.entity) ?? new Set()).add(w.id));
  for (const [entity, ids] of byEntity) {
    for (const group of chunks([...ids])) {
      const rows = await query<QboRecord>(ctx.deps, ctx.session, entity, `select * from ${entity} where Id in (${group.map(qboLiteral).join(', ')})`);
      for (const r of rows) found.set(`${entity}:${r.Id}`, r);
    }
  }
  return found;
}

const paymentIdsOf = (refs: Record<string, unknown> | null): string[] =>
  Array.isArray(refs?.applicationPaymentIds) ? (refs.applicationPaymentIds as unknown[]).map(String) : [];

/** The customer a payment or refund is from: the one it names, else the one of the document it refers to. */
function customerOf(doc: DocumentToPush): Party | null {
  if (doc.kind === 'payment') {
    const source = doc.source as unknown as PaymentSource;
    return source.customer ?? source.allocations.map((a) => doc.related[a.invoice_id]?.party).find((p) => p) ?? null;
  }
  if (doc.kind === 'refund') return doc.related[(doc.source as unknown as RefundSource).credit_note_id]?.party ?? null;
  return partyOf(doc);
}

/**
 * Builds one batch request (≤ 30 documents) for any mix of kinds and operations. Reads what the
 * items need first: contacts, sales items, and the current SyncToken of every record to change.
 */
export async function planBatch(ctx: PlanContext, documents: readonly DocumentToPush[]): Promise<PreparedBatch> {
  const writes = documents.filter((d) => d.operation !== 'void');
  const needsCustomer = writes.filter((d) => d.kind !== 'supplier_bill');
  const customers = await resolveQuickBooksParties(ctx.deps, ctx.session, 'customer', needsCustomer.map(customerOf).filter((p): p is Party => p !== null));
  const vendors = await resolveQuickBooksParties(ctx.deps, ctx.session, 'vendor', writes.filter((d) => d.kind === 'supplier_bill').map(partyOf));
  const accounts = writes.flatMap((d) => {
    if (d.kind === 'refund') return [ctx.accountFor(d)(undefined)];
    if (d.kind !== 'sales_invoice' && d.kind !== 'credit_note') return [];
    const lineAccounts = (d.source.lines as { category?: string }[]).map((l) => ctx.accountFor(d)(l.category));
    // A rounding line is an item line too: the rounding account's item, when the document will need one.
    return needsQuickBooksRoundingLine(d) ? [...lineAccounts, d.defaults.rounding_account!] : lineAccounts;
  }).filter((a): a is string => Boolean(a));
  const items = await ctx.itemsFor(accounts);
  const changing = documents.filter((d) => d.operation !== 'create' && d.providerId);
  const current = await readRecords(ctx, [
    ...changing.map((d) => ({ entity: ENTITY_OF[d.kind], id: d.providerId! })),
    ...changing.filter((d) => d.kind === 'credit_note' && d.operation === 'void').flatMap((d) => paymentIdsOf(d.providerRefs).map((id) => ({ entity: 'Payment', id }))),
  ]);

  const request: QboBatchRequest = { BatchItemRequest: [], documents: [] };
  const documentIds: string[] = [];
  const refused: DocumentOutcome[] = [];
  const refuse = (doc: DocumentToPush, errors: readonly ProviderMessage[]) => refused.push({ documentId: doc.documentId, status: 'failed', errors });

  for (const doc of documents) {
    const entity = ENTITY_OF[doc.kind];
    const index = documentIds.length;
    const bId = String(index);
    const add = (planned: Omit<PlannedDocument, 'documentId' | 'entity' | 'operation'>, ...batchItems: BatchItem[]) => {
      request.BatchItemRequest.push(...batchItems);
      request.documents!.push({ documentId: doc.documentId, entity, operation: doc.operation, ...planned });
      documentIds.push(doc.documentId);
    };
    const record = doc.providerId ? current.get(`${entity}:${doc.providerId}`) : undefined;
    const refs = doc.providerRefs ?? undefined;

    if (doc.operation !== 'create') {
      if (!doc.providerId) {
        refuse(doc, [{ message: `nothing to ${doc.operation}: the document has no QuickBooks record` }]);
        continue;
      }
      if (!record) {
        if (doc.operation === 'void') add({ bIds: [], gone: true, providerId: doc.providerId, ...(refs ? { refs } : {}) });
        else refuse(doc, [{ message: `QuickBooks no longer has ${entity} ${doc.providerId} (deleted there?)` }]);
        continue;
      }
    }
    if (doc.operation === 'void') {
      const ref = { Id: record!.Id, SyncToken: record!.SyncToken };
      if (entity === 'Invoice' || entity === 'Payment') {
        // QuickBooks voids invoices and payments (zero amounts, "Voided" note); the batch expresses it as an update with optionsData 'void'.
        add({ bIds: [bId], ...(refs ? { refs } : {}) }, { bId, operation: 'update', optionsData: 'void', [entity]: { ...ref, sparse: true } });
      } else if (entity === 'CreditMemo') {
        // A credit memo used by payments is freed first (those payments deleted), then deleted in a second call.
        const applying = paymentIdsOf(doc.providerRefs).flatMap((id) => { const p = current.get(`Payment:${id}`); return p ? [p] : []; });
        if (applying.length === 0) add({ bIds: [bId], ...(refs ? { refs } : {}) }, { bId, operation: 'delete', CreditMemo: ref });
        else add({ bIds: applying.map((_, k) => `${bId}.${k}`), then: { deleteCreditMemo: ref }, ...(refs ? { refs } : {}) },
          ...applying.map((p, k): BatchItem => ({ bId: `${bId}.${k}`, operation: 'delete', Payment: { Id: p.Id, SyncToken: p.SyncToken } })));
      } else {
        // Bills and refund receipts cannot be voided through the API: deleted.
        add({ bIds: [bId], ...(refs ? { refs } : {}) }, { bId, operation: 'delete', [entity]: ref });
      }
      continue;
    }

    const party = customerOf(doc);
    const resolved = doc.kind === 'supplier_bill' ? vendors : customers;
    const partyId = party ? resolved.ids.get(party.id) : undefined;
    if (!party || !partyId) {
      refuse(doc, [{ message: party ? (resolved.failures.get(party.id) ?? `no QuickBooks record for "${party.name}"`) : 'no customer: the payment names none and refers to no invoice', field: 'contact' }]);
      continue;
    }
    const versioned = (body: Record<string, unknown>): BatchItem =>
      doc.operation === 'update'
        // Sparse: fields set in QuickBooks that Ledgerport does not send (and payment links) stay.
        ? { bId, operation: 'update', [entity]: { ...body, Id: record!.Id, SyncToken: record!.SyncToken, sparse: true } }
        : { bId, operation: 'create', [entity]: body };

    if (doc.kind === 'payment') {
      const links = invoiceLinks(doc, (doc.source as unknown as PaymentSource).allocations);
      if ('errors' in links) { refuse(doc, links.errors); continue; }
      add({ bIds: [bId] }, versioned(toQuickBooksPayment(doc, partyId, links.lines)));
      continue;
    }
    if (doc.kind === 'refund') {
      const source = doc.source as unknown as RefundSource;
      const bank = bankAccountOf(doc);
      const creditMemo = doc.related[source.credit_note_id];
      const account = ctx.accountFor(doc)(undefined);
      const errors: ProviderMessage[] = [
        ...(bank ? [] : [{ field: 'bank_account', message: 'a refund is paid from a bank account: send bank_account_code or set payments_bank_account in the posting defaults' }]),
        ...(creditMemo ? [] : [{ field: 'credit_note_id', message: `credit note "${source.credit_note_id}" is not in QuickBooks yet` }]),
        ...(account ? [] : [{ field: 'account', message: 'no sales account for the refund line: set the sales invoice account in the posting defaults' }]),
      ];
      if (errors.length > 0) { refuse(doc, errors); continue; }
      add({ bIds: [bId] }, versioned(toQuickBooksRefund(doc, partyId, bank!, items.get(account!) ?? '', creditMemo!.providerId)));
      continue;
    }
    const mapped = toQuickBooksDocument(doc, partyId, { accountFor: ctx.accountFor(doc), itemFor: (accountId) => items.get(accountId) ?? '' });
    if ('errors' in mapped) { refuse(doc, mapped.errors); continue; }
    if (doc.kind === 'credit_note' && doc.operation === 'create') {
      const applications = creditApplications(doc);
      if ('errors' in applications) { refuse(doc, applications.errors); continue; }
      add({ bIds: [bId], ...(applications.lines.length > 0 ? { then: { apply: applications.lines } } : {}) }, versioned(mapped.body));
      continue;
    }
    add({ bIds: [bId], ...(doc.operation === 'update' && refs ? { refs } : {}) }, versioned(mapped.body));
  }
  return { request, documentIds, refused };
}
