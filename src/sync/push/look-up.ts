import type { ClaimedDocument, DocumentKind } from '../../db/schema.ts';
import {
  NUMBERED_KINDS,
  type AccountingProvider,
  type DocumentOutcome,
  type NumberedKind,
  type ProviderDocument,
  type ProviderSession,
} from '../../providers/types.ts';

/**
 * Settling a batch whose outcome is unknown once the provider no longer keeps its idempotency
 * key (Xero keeps one for 6 minutes; see AccountingProvider.idempotencyWindowMs). Replaying the
 * key then would be a new request, and a create applied the first time would be made twice, so
 * each document is looked up at the provider instead:
 *
 * - a create of a sales invoice, supplier bill or credit note is looked for by its number (a
 *   bill's: the supplier's invoice number; with its reference when it has one), or, without a
 *   number, by reference and issue date: found → synced with the provider's id, nothing sent;
 *   not found → queued again, to go up in a new batch with a new key (safe: the provider never
 *   applied it);
 * - an update is queued again: sending the same values again with a new key changes nothing more;
 * - a void is looked for by the provider's id: voided or deleted there → settled, else queued again;
 * - what cannot be looked up (payments and refunds, documents with neither number nor reference)
 *   is failed with a message saying to check at the provider before retrying: sending it again
 *   blindly could apply it twice.
 */
export interface LookupSettlement {
  /** Found at the provider: synced (or voided), and why, for the document's history. */
  readonly found: DocumentOutcome[];
  readonly foundReasons: Map<string, string>;
  /** Not at the provider, or safe to send again: back to the queue, with why. */
  readonly requeue: Map<string, string>;
  /** Cannot be looked up: failed with this message. */
  readonly failed: DocumentOutcome[];
}

export interface LookupDocument {
  readonly id: string;
  readonly kind: DocumentKind;
  readonly providerId: string | null;
  readonly claimed: ClaimedDocument;
}

const isNumbered = (kind: DocumentKind): kind is NumberedKind => (NUMBERED_KINDS as readonly string[]).includes(kind);
const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
const same = (a: string | null, b: string | null) => a !== null && b !== null && a.toLowerCase() === b.toLowerCase();

/** The number the provider shows for a document Ledgerport sends (a bill's is the supplier's invoice number). */
export function providerNumberOf(kind: DocumentKind, source: Record<string, unknown>): string | null {
  return kind === 'supplier_bill' ? text(source.supplier_invoice_number) : text(source.number);
}

/** The reference Ledgerport sends with a document (a bill carries the platform's number when it has no reference). */
export function providerReferenceOf(kind: DocumentKind, source: Record<string, unknown>): string | null {
  return kind === 'supplier_bill' ? (text(source.reference) ?? text(source.number)) : text(source.reference);
}

/**
 * The documents at the provider that are this create: same number (and, for a bill, whose
 * numbers are the suppliers' and not unique, the same reference where both have one); without a
 * number, the same reference and issue date. Deleted ones do not count.
 */
export function matchesOf(kind: NumberedKind, source: Record<string, unknown>, candidates: readonly ProviderDocument[]): ProviderDocument[] {
  const number = providerNumberOf(kind, source);
  const reference = providerReferenceOf(kind, source);
  const live = candidates.filter((c) => c.kind === kind && c.state !== 'deleted');
  if (number) {
    return live.filter((c) => same(c.number, number) && (kind !== 'supplier_bill' || reference === null || c.reference === null || same(c.reference, reference)));
  }
  const issueDate = text(source.issue_date);
  return reference ? live.filter((c) => same(c.reference, reference) && (issueDate === null || c.issueDate === issueDate)) : [];
}

const ageText = (ms: number) => (ms < 120_000 ? `${Math.round(ms / 1000)} s` : ms < 2 * 3_600_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 3_600_000)} h`);

export async function settleByLookup(
  provider: AccountingProvider,
  session: ProviderSession,
  documents: readonly LookupDocument[],
  keyAgeMs: number,
): Promise<LookupSettlement> {
  const expired = `its idempotency key had expired at the provider (first sent ${ageText(keyAgeMs)} ago; kept ${ageText(provider.idempotencyWindowMs)})`;
  const result: LookupSettlement = { found: [], foundReasons: new Map(), requeue: new Map(), failed: [] };
  const fail = (doc: LookupDocument, why: string) =>
    result.failed.push({ documentId: doc.id, status: 'failed', errors: [{ message: `outcome unknown and ${expired}; ${why}: check at the provider before retrying, as sending it again could apply it twice` }] });

  // What to ask the provider, per kind: creates by number (without a date, so one whose date
  // was changed there is still found) or by reference within their issue dates; voids by id.
  const wanted = new Map<NumberedKind, { numbers: Set<string>; references: Set<string>; ids: Set<string>; dates: string[] }>();
  const want = (kind: NumberedKind) => {
    let w = wanted.get(kind);
    if (!w) wanted.set(kind, (w = { numbers: new Set(), references: new Set(), ids: new Set(), dates: [] }));
    return w;
  };
  for (const doc of documents) {
    const { operation, source } = doc.claimed;
    if (operation === 'update') {
      result.requeue.set(doc.id, `the outcome of this update was unknown and ${expired}; sent again with a new key (an update sets the same values again)`);
      continue;
    }
    if (!isNumbered(doc.kind)) {
      fail(doc, `a ${doc.kind.replace('_', ' ')} cannot be looked up by number`);
      continue;
    }
    if (operation === 'void') {
      if (doc.providerId) want(doc.kind).ids.add(doc.providerId);
      else result.requeue.set(doc.id, `the outcome of this void was unknown and ${expired}; sent again with a new key`);
      continue;
    }
    const number = providerNumberOf(doc.kind, source);
    const reference = providerReferenceOf(doc.kind, source);
    const w = want(doc.kind);
    if (number) w.numbers.add(number);
    else if (reference) {
      w.references.add(reference);
      const issueDate = text(source.issue_date);
      if (issueDate) w.dates.push(issueDate);
    } else fail(doc, 'it has neither a number nor a reference to look it up by');
  }

  const candidates: ProviderDocument[] = [];
  for (const [kind, w] of wanted) {
    if (w.numbers.size + w.ids.size > 0) candidates.push(...(await provider.records.findDocuments(session, { kind, numbers: [...w.numbers], ids: [...w.ids] })));
    if (w.references.size > 0) {
      const dates = [...w.dates].sort();
      candidates.push(...(await provider.records.findDocuments(session, { kind, references: [...w.references], ...(dates.length ? { dateFrom: dates[0], dateTo: dates.at(-1) } : {}) })));
    }
  }

  for (const doc of documents) {
    if (result.requeue.has(doc.id) || result.failed.some((f) => f.documentId === doc.id) || !isNumbered(doc.kind)) continue;
    if (doc.claimed.operation === 'void') {
      const there = candidates.find((c) => c.providerId === doc.providerId);
      if (there && (there.state === 'voided' || there.state === 'deleted')) {
        result.found.push({ documentId: doc.id, status: 'synced', providerId: there.providerId, providerNumber: there.number, providerStatus: there.status });
        result.foundReasons.set(doc.id, `found ${there.state} at the provider (${there.number ?? there.providerId}); ${expired}, so it was looked up, not replayed`);
      } else {
        result.requeue.set(doc.id, `${there ? `still ${there.status} at the provider` : 'not found at the provider'}; ${expired}, so the void is sent again with a new key`);
      }
      continue;
    }
    const number = providerNumberOf(doc.kind, doc.claimed.source);
    const reference = providerReferenceOf(doc.kind, doc.claimed.source);
    const by = number ? `number ${number}` : `reference ${reference}`;
    const matches = matchesOf(doc.kind, doc.claimed.source, candidates);
    const first = matches[0];
    if (first) {
      result.found.push({ documentId: doc.id, status: 'synced', providerId: first.providerId, providerNumber: first.number, providerStatus: first.status });
      const more = matches.length > 1 ? `; the provider holds ${matches.length} with that ${number ? 'number' : 'reference'}` : '';
      const credit = doc.kind === 'credit_note' ? '; its allocations to invoices were not checked' : '';
      result.foundReasons.set(doc.id, `found at the provider by ${by} (id ${first.providerId})${more}${credit}; ${expired}, so it was looked up, not replayed`);
    } else {
      result.requeue.set(doc.id, `not at the provider (looked up by ${by}); ${expired}, so it is sent again with a new key`);
    }
  }
  return result;
}
