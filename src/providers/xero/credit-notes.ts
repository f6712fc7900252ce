// CreditNotes:create: PUT /CreditNotes (ACCRECCREDIT, summarizeErrors=false, key `-c`), then each
// credit note that credits invoices is allocated with PUT /CreditNotes/{id}/Allocations (key
// `-a<n>`, n = its place in the batch). Xero takes no allocations in the create call itself.
import type { Allocations, CreditNotes } from 'xero-node';
import type { CreditNoteSource } from '../../ingest/ops-envelope.ts';
import type { DocumentOutcome, DocumentToPush, PreparedBatch, ProviderMessage, ProviderSession } from '../types.ts';
import { callKey, elementMessages, failed, money, type LaneRequest } from './batch-common.ts';
import { callXero } from './client.ts';
import { mapDocuments, type TaxRatesOf, type XeroDeps } from './map-documents.ts';
import { toXeroCreditNote, type XeroCreditNoteModel } from './mapping.ts';

/** `whole`: the credit note's total as Xero computes it, capped at what the invoice still owes. */
interface PlannedAllocation { invoice_id: string; providerInvoiceId: string; amount: number | 'whole' }
interface CreditNotesRequest extends LaneRequest { creditNotes: XeroCreditNoteModel[]; allocations: PlannedAllocation[][] }

export async function prepareCreditNotes(deps: XeroDeps, session: ProviderSession, lane: string, documents: readonly DocumentToPush[], taxRates: TaxRatesOf): Promise<PreparedBatch> {
  const refused: DocumentOutcome[] = [];
  const plans = new Map<string, PlannedAllocation[]>();
  const planned = documents.filter((doc) => {
    const source = doc.source as unknown as CreditNoteSource;
    const wanted = source.allocations ?? (source.invoice_id ? [{ invoice_id: source.invoice_id, amount: 'whole' as const }] : []);
    const missing = wanted.filter((a) => !doc.related[a.invoice_id]?.providerId);
    if (missing.length > 0) {
      refused.push(failed(doc.documentId, missing.map((a) => ({ field: 'invoice_id', message: `invoice ${a.invoice_id} is not in Xero yet` }))));
      return false;
    }
    plans.set(doc.documentId, wanted.map((a) => ({
      invoice_id: a.invoice_id, providerInvoiceId: doc.related[a.invoice_id]!.providerId, amount: a.amount === 'whole' ? 'whole' : money(a.amount),
    })));
    return true;
  });
  const { mapped, refused: unmapped } = await mapDocuments(deps, session, planned, taxRates, (doc, contactId, rates) => {
    const r = toXeroCreditNote(doc, contactId, rates);
    return 'errors' in r ? r : { model: r.creditNote };
  });
  const request: CreditNotesRequest = {
    lane,
    creditNotes: mapped.map((m) => m.model),
    allocations: mapped.map((m) => plans.get(m.doc.documentId) ?? []),
  };
  return { request, documentIds: mapped.map((m) => m.doc.documentId), refused: [...refused, ...unmapped] };
}

interface CreatedCreditNote { creditNoteID?: string; creditNoteNumber?: string; total?: number; status?: unknown; date?: unknown; hasErrors?: boolean; statusAttributeString?: string; validationErrors?: { message?: string }[] }

export async function sendCreditNotes(deps: XeroDeps, session: ProviderSession, request: CreditNotesRequest, documentIds: readonly string[], idempotencyKey: string): Promise<DocumentOutcome[]> {
  if (request.creditNotes.length === 0) return [];
  const body = await callXero(deps, session, 'createCreditNotes', (api, orgId) =>
    api.createCreditNotes(orgId, { creditNotes: request.creditNotes } as unknown as CreditNotes, false, 4, callKey(idempotencyKey, 'c')));
  const created = (body.creditNotes ?? []) as CreatedCreditNote[];

  // What the invoices credited "whole" still owe, read once for the batch (a replay reads again, but its allocation calls replay their first answers).
  const wholeIds = [...new Set(request.allocations.flat().filter((a) => a.amount === 'whole').map((a) => a.providerInvoiceId))];
  const due = new Map<string, number>();
  if (wholeIds.length > 0) {
    const invoices = await callXero(deps, session, 'getInvoices', (api, orgId) => api.getInvoices(orgId, undefined, undefined, undefined, wholeIds));
    for (const inv of invoices.invoices ?? []) if (inv.invoiceID) due.set(inv.invoiceID, Number(inv.amountDue ?? 0));
  }

  const outcomes: DocumentOutcome[] = [];
  for (const [index, documentId] of documentIds.entries()) {
    const cn = created[index];
    const messages = elementMessages(cn);
    if (!cn || cn.hasErrors || cn.statusAttributeString === 'ERROR' || messages.length > 0 || !cn.creditNoteID) {
      outcomes.push(failed(documentId, messages.length ? messages : [{ message: 'Xero returned no credit note for this document' }]));
      continue;
    }
    const plan = request.allocations[index] ?? [];
    const date = request.creditNotes[index]?.date;
    const allocations = plan.map((a) => ({
      invoice_id: a.invoice_id, providerInvoiceId: a.providerInvoiceId,
      amount: a.amount === 'whole' ? Math.min(money(cn.total ?? 0), money(due.get(a.providerInvoiceId) ?? cn.total ?? 0)) : a.amount,
    })).filter((a) => a.amount > 0);
    const allocated: { invoice_id: string; amount: string }[] = [];
    const allocationErrors: ProviderMessage[] = [];
    if (allocations.length > 0) {
      try {
        const answer = await callXero(deps, session, 'createCreditNoteAllocation', (api, orgId) => api.createCreditNoteAllocation(orgId, cn.creditNoteID!, {
          allocations: allocations.map((a) => ({ invoice: { invoiceID: a.providerInvoiceId }, amount: a.amount, date })),
        } as unknown as Allocations, false, callKey(idempotencyKey, `a${index + 1}`)));
        (answer.allocations ?? []).forEach((r, i) => {
          const errors = elementMessages(r);
          if (errors.length > 0 || r.statusAttributeString === 'ERROR') allocationErrors.push(...errors.map((e) => ({ ...e, field: 'allocations' })));
          else if (allocations[i]) allocated.push({ invoice_id: allocations[i].invoice_id, amount: allocations[i].amount.toFixed(2) });
        });
      } catch (error) {
        // Only Xero's refusal is kept on the document; an unknown outcome is settled by replaying the batch.
        if ((error as { kind?: string }).kind !== 'validation') throw error;
        allocationErrors.push({ field: 'allocations', message: (error as Error).message });
      }
    }
    // The credit note exists at Xero either way: it is synced, and what could not be allocated stays as credit there.
    const appliedAll = allocated.reduce((s, a) => s + Number(a.amount), 0) >= money(cn.total ?? 0) - 0.001 && allocated.length > 0;
    outcomes.push({
      documentId, status: 'synced', providerId: cn.creditNoteID, providerNumber: cn.creditNoteNumber ?? null,
      providerStatus: appliedAll ? 'PAID' : (cn.status ? String(cn.status) : null),
      providerRefs: { allocations: allocated, ...(allocationErrors.length > 0 ? { allocation_errors: allocationErrors } : {}) },
    });
  }
  return outcomes;
}
