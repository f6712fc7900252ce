import type { Database, Tx } from '../db/database.ts';
import type { Document, DocumentKind, DocumentStatus } from '../db/schema.ts';
import type { DocumentOperation, RelatedDocument } from '../providers/types.ts';
import { WAITING_PREFIX } from '../documents/lifecycle.ts';

/**
 * What a push would do to a document now, derived from its state (never stored, so never
 * stale): `cancel` is a void of a document the provider never received, `nothing` a document
 * the provider already holds at this version.
 */
export function operationOf(doc: Pick<Document, 'source' | 'provider_id' | 'source_version' | 'synced_version'>): DocumentOperation | 'cancel' | 'nothing' {
  const voided = (doc.source as { voided?: unknown }).voided === true;
  if (doc.provider_id === null) return voided ? 'cancel' : 'create';
  if (voided) return 'void';
  return doc.source_version > (doc.synced_version ?? 0) ? 'update' : 'nothing';
}

/** Statuses in which a document's newer version is on its way to the provider (not failed, not voided). */
const EDIT_IN_FLIGHT: ReadonlySet<DocumentStatus> = new Set(['received', 'held', 'queued', 'pushing', 'uncertain']);

/** A document another one refers to, by kind and platform id. */
export interface Reference {
  readonly kind: DocumentKind;
  readonly sourceId: string;
}

/** How a waiting document names what it waits for (documents.waits_for). */
export const referenceKey = (ref: Reference): string => `${ref.kind}:${ref.sourceId}`;

const LABEL: Record<DocumentKind, string> = {
  sales_invoice: 'invoice',
  supplier_bill: 'bill',
  credit_note: 'credit note',
  payment: 'payment',
  refund: 'refund',
};

/** The documents a source refers to: a payment's invoices, a credit note's invoices, a refund's credit note. */
export function referencesOf(kind: DocumentKind, source: Record<string, unknown>): Reference[] {
  const s = source as { allocations?: { invoice_id: string }[]; invoice_id?: string; credit_note_id?: string };
  const ids = new Map<string, Reference>();
  const add = (ref: Reference) => ids.set(`${ref.kind}:${ref.sourceId}`, ref);
  if (kind === 'payment' || kind === 'credit_note') {
    if (s.invoice_id) add({ kind: 'sales_invoice', sourceId: s.invoice_id });
    for (const a of s.allocations ?? []) add({ kind: 'sales_invoice', sourceId: a.invoice_id });
  }
  if (kind === 'refund' && s.credit_note_id) add({ kind: 'credit_note', sourceId: s.credit_note_id });
  return [...ids.values()];
}

/**
 * Looks the references up: those at the provider come back as RelatedDocument, the others as a
 * waiting reason naming each one and where it is ("waiting for invoice inv_1 (queued)").
 */
export async function resolveReferences(
  db: Database | Tx,
  tenantId: string,
  refs: readonly Reference[],
): Promise<{ related: Record<string, RelatedDocument>; waiting: { reason: string; keys: string[] } | null }> {
  const related: Record<string, RelatedDocument> = {};
  if (refs.length === 0) return { related, waiting: null };
  const rows = await db
    .selectFrom('documents')
    .select(['id', 'kind', 'source_id', 'status', 'provider_id', 'source', 'source_version', 'synced_version'])
    .where('tenant_id', '=', tenantId)
    .where((eb) => eb.or(refs.map((r) => eb.and([eb('kind', '=', r.kind), eb('source_id', '=', r.sourceId)]))))
    .execute();
  const found = new Map(rows.map((r) => [`${r.kind}:${r.source_id}`, r]));
  const missing: string[] = [];
  const keys: string[] = [];
  for (const ref of refs) {
    const row = found.get(`${ref.kind}:${ref.sourceId}`);
    if (!row || !row.provider_id || row.status === 'voided') {
      keys.push(referenceKey(ref));
      missing.push(`${LABEL[ref.kind]} ${ref.sourceId} (${!row ? 'not received yet' : row.status === 'voided' ? 'voided' : row.status})`);
      continue;
    }
    if (row.source_version > (row.synced_version ?? 0) && EDIT_IN_FLIGHT.has(row.status)) {
      // Money applied before a pending edit would land on the old total, and Xero refuses to edit a paid invoice.
      keys.push(referenceKey(ref));
      missing.push(`${LABEL[ref.kind]} ${ref.sourceId} version ${row.source_version} (${row.status})`);
      continue;
    }
    const source = row.source as { customer?: RelatedDocument['party']; currency?: string };
    related[ref.sourceId] = {
      documentId: row.id,
      kind: row.kind,
      sourceId: row.source_id,
      providerId: row.provider_id,
      party: source.customer ?? null,
      currency: source.currency ?? null,
    };
  }
  return { related, waiting: missing.length > 0 ? { reason: `${WAITING_PREFIX}${missing.join(', ')} to be synced`, keys } : null };
}
