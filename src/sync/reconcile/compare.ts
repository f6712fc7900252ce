import type { DocumentStatus } from '../../db/schema.ts';
import type { NumberedKind, ProviderDocument } from '../../providers/types.ts';
import { providerNumberOf, providerReferenceOf } from '../push/look-up.ts';
import { expectedTotal, providerTotalAgrees } from './expected.ts';
import type { NewFinding } from './repo.ts';

/** A document Ledgerport pushed, as its own records have it. */
export interface PushedDocument {
  readonly id: string;
  readonly kind: NumberedKind;
  readonly status: DocumentStatus;
  readonly providerId: string;
  readonly providerNumber: string | null;
  /** The version the provider holds (synced_source), else the current snapshot. */
  readonly source: Record<string, unknown>;
  readonly taxTreatment: string | null;
  /** When Ledgerport last synced (or voided) it at the provider. */
  readonly syncedAt: Date | null;
}

/** How much later than Ledgerport's sync the provider's modification time must be to count as a change there (its clock, whole seconds). */
export const CHANGE_TOLERANCE_MS = 2_000;

const same = (a: string | null, b: string | null) => a !== null && b !== null && a.trim().toLowerCase() === b.trim().toLowerCase();
const gone = (d: ProviderDocument) => d.state === 'deleted' || d.state === 'voided';

export function numberOf(doc: PushedDocument): string | null {
  return doc.providerNumber ?? providerNumberOf(doc.kind, doc.source);
}

/**
 * What differs between Ledgerport's records and what the provider holds (`candidates`: the
 * provider's documents found by these documents' ids and numbers):
 * - `missing_at_provider`: the provider no longer has it (or has it deleted) though Ledgerport synced it;
 * - `duplicate_at_provider`: more than one live document there with its number (for a bill,
 *   whose numbers are the suppliers', also its reference where both have one);
 * - `status_differs`: voided on one side only;
 * - `total_differs`: the provider's total is not the one Ledgerport's lines give (exactly: expected.ts);
 * - `changed_at_provider`: modified there after Ledgerport last synced it.
 */
export function compareDocument(doc: PushedDocument, candidates: readonly ProviderDocument[], opts: { taxByTreatment: boolean }): NewFinding[] {
  const number = numberOf(doc);
  const reference = providerReferenceOf(doc.kind, doc.source);
  const base = { documentId: doc.id, kind: doc.kind, number, reference };
  const label = number ?? reference ?? doc.providerId;
  const findings: NewFinding[] = [];
  const theirs = candidates.find((c) => c.providerId === doc.providerId);
  const voidedHere = doc.status === 'voided';

  if (!theirs || theirs.state === 'deleted') {
    if (!voidedHere) {
      findings.push({
        ...base, type: 'missing_at_provider', providerIds: [doc.providerId], expected: { status: 'active' }, actual: theirs ? { status: theirs.status } : null,
        message: theirs ? `${label} is deleted at the provider (${theirs.status}) but synced in Ledgerport` : `${label} (provider id ${doc.providerId}) is not at the provider any more`,
      });
    }
  } else {
    const voidedThere = gone(theirs);
    if (voidedHere !== voidedThere) {
      findings.push({
        ...base, type: 'status_differs', providerIds: [theirs.providerId], expected: { status: voidedHere ? 'voided' : 'active' }, actual: { status: theirs.status, state: theirs.state },
        message: voidedHere ? `${label} is voided in Ledgerport but ${theirs.status} at the provider` : `${label} is ${theirs.status} at the provider but not voided in Ledgerport`,
      });
    } else if (!voidedHere && theirs.total !== null) {
      const expected = expectedTotal(doc.source, { taxByTreatment: opts.taxByTreatment, taxTreatment: doc.taxTreatment });
      if (expected && !providerTotalAgrees(expected, theirs.total)) {
        findings.push({
          ...base, type: 'total_differs', providerIds: [theirs.providerId], expected: { total: expected.total }, actual: { total: theirs.total },
          message: `${label} totals ${theirs.total} at the provider; Ledgerport's lines give ${expected.total}`,
        });
      }
    }
    if (doc.syncedAt && theirs.updatedAt && theirs.updatedAt.getTime() > doc.syncedAt.getTime() + CHANGE_TOLERANCE_MS) {
      findings.push({
        ...base, type: 'changed_at_provider', providerIds: [theirs.providerId], expected: { synced_at: doc.syncedAt.toISOString() }, actual: { updated_at: theirs.updatedAt.toISOString() },
        message: `${label} was changed at the provider at ${theirs.updatedAt.toISOString()}, after Ledgerport synced it at ${doc.syncedAt.toISOString()}`,
      });
    }
  }

  if (number) {
    const sameNumber = candidates.filter((c) => c.kind === doc.kind && !gone(c) && same(c.number, number)
      && (doc.kind !== 'supplier_bill' || reference === null || c.reference === null || same(c.reference, reference)));
    if (sameNumber.length > 1) {
      findings.push({
        ...base, type: 'duplicate_at_provider', providerIds: sameNumber.map((c) => c.providerId), expected: { count: 1 }, actual: { count: sameNumber.length },
        message: `the provider holds ${sameNumber.length} ${doc.kind.replace('_', ' ')}s numbered ${number}`,
      });
    }
  }
  return findings;
}
