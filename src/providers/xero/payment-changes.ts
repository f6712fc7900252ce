// Payments:change: a payment the platform moved (update: other allocations) or deleted (void),
// and deleted refunds. Xero payments cannot be edited, only deleted (POST /Payments/{id}
// Status DELETED) and made anew, so an update keeps the payments whose (invoice, amount) is
// unchanged, deletes the others (keys `-d<n>`) and makes the new ones (`-p<n>`, as for creates).
//
// Overpayments: Xero's API can neither change nor delete an overpayment (the Overpayments endpoint
// only reads it and allocates or un-allocates its credit; its RECEIVE-OVERPAYMENT bank transaction
// cannot be updated). So an overpayment stays at Xero when its payment is deleted (noted in
// providerRefs as `overpayment_kept`), a new one is made when a payment newly overpays, and a
// changed overpayment amount is refused before any call, with the reason.
//
// The plan is made from what Xero holds now (one GET /Payments for the batch), so a retry after a
// failure half-way (some payments already deleted) plans only what is still to do.
import type { PaymentSource, RefundSource } from '../../ingest/ops-envelope.ts';
import type { DocumentOutcome, DocumentToPush, PreparedBatch, ProviderMessage, ProviderSession } from '../types.ts';
import { callKey, failed, money, type LaneRequest } from './batch-common.ts';
import { callXero } from './client.ts';
import type { XeroDeps } from './map-documents.ts';
import { deleteXeroPayment, runPaymentPlans, type PaymentPlan } from './payment-calls.ts';
import { overpaidCents, overpaymentBody, overpaymentContacts, overpaymentParty, paymentRefs, plannedPayments } from './payments.ts';

interface KeptPayment { ref: Record<string, string>; amount: number; paymentId: string }
interface Change {
  documentId: string;
  operation: 'update' | 'void';
  providerId: string | null;
  keep: KeptPayment[];
  deletes: string[];
  plan: PaymentPlan;
  overpayment?: { id: string; amount: number };
}
interface ChangeRequest extends LaneRequest { changes: Change[] }

interface StoredRefs { payments?: { invoice_id?: string; credit_note_id?: string; payment_id: string; amount: string }[]; overpayment_id?: string; overpayment_amount?: string }

const cents = (v: string | number): number => Math.round(Number(v) * 100);
const quote = (id: string) => `PaymentID==Guid("${id.replace(/[^0-9a-fA-F-]/g, '')}")`;

async function livePayments(deps: XeroDeps, session: ProviderSession, ids: readonly string[]): Promise<Set<string>> {
  const live = new Set<string>();
  for (let i = 0; i < ids.length; i += 20) {
    const where = ids.slice(i, i + 20).map(quote).join(' OR ');
    const body = await callXero(deps, session, 'getPayments', (api, orgId) => api.getPayments(orgId, undefined, where));
    for (const p of body.payments ?? []) if (p.paymentID && String(p.status ?? '') !== 'DELETED') live.add(p.paymentID.toLowerCase());
  }
  return live;
}

export async function preparePaymentChanges(deps: XeroDeps, session: ProviderSession, lane: string, documents: readonly DocumentToPush[]): Promise<PreparedBatch> {
  const refsOf = (doc: DocumentToPush) => (doc.providerRefs ?? {}) as StoredRefs;
  const live = await livePayments(deps, session, documents.flatMap((d) => (refsOf(d).payments ?? []).map((p) => p.payment_id)));
  const newlyOverpaying = documents.filter((d) => d.operation === 'update' && d.kind === 'payment' && !refsOf(d).overpayment_id && overpaidCents(d.source as unknown as PaymentSource) > 0);
  const contacts = await overpaymentContacts(deps, session, newlyOverpaying);
  const refused: DocumentOutcome[] = [];
  const changes: Change[] = [];
  for (const doc of documents) {
    const refs = refsOf(doc);
    const existing = (refs.payments ?? []).filter((p) => live.has(p.payment_id.toLowerCase()));
    const overpayment = refs.overpayment_id ? { id: refs.overpayment_id, amount: money(refs.overpayment_amount ?? 0) } : undefined;
    const change: Change = { documentId: doc.documentId, operation: doc.operation === 'void' ? 'void' : 'update', providerId: doc.providerId, keep: [], deletes: [], plan: { documentId: doc.documentId, creates: [] }, ...(overpayment ? { overpayment } : {}) };
    if (change.operation === 'void') {
      change.deletes = existing.map((p) => p.payment_id);
      changes.push(change);
      continue;
    }
    const wanted: { key: string; allocation?: { invoice_id: string; amount: string } }[] = doc.kind === 'refund'
      ? [{ key: `credit_note_id|${(doc.source as unknown as RefundSource).credit_note_id}|${cents((doc.source as unknown as RefundSource).amount)}` }]
      : (doc.source as unknown as PaymentSource).allocations.map((a) => ({ key: `invoice_id|${a.invoice_id}|${cents(a.amount)}`, allocation: a }));
    const unmatched = [...existing];
    const toMake: typeof wanted = [];
    for (const w of wanted) {
      const at = unmatched.findIndex((p) => `${p.invoice_id !== undefined ? 'invoice_id' : 'credit_note_id'}|${p.invoice_id ?? p.credit_note_id}|${cents(p.amount)}` === w.key);
      if (at >= 0) {
        const [kept] = unmatched.splice(at, 1);
        const { payment_id, amount, ...ref } = kept!;
        change.keep.push({ ref: ref as Record<string, string>, amount: money(amount), paymentId: payment_id });
      } else toMake.push(w);
    }
    change.deletes = unmatched.map((p) => p.payment_id);
    const errors: ProviderMessage[] = [];
    if (toMake.length > 0) {
      const creates = plannedPayments(doc, toMake.flatMap((w) => (w.allocation ? [w.allocation] : [])));
      if ('errors' in creates) errors.push(...creates.errors);
      else change.plan.creates = creates;
    }
    if (doc.kind === 'payment') {
      const before = cents(refs.overpayment_amount ?? 0);
      const after = overpaidCents(doc.source as unknown as PaymentSource);
      if (before !== after && !(before === 0 && after > 0)) {
        errors.push({ field: 'amount', message: `Xero cannot change an overpayment through its API: this payment's unallocated amount changed from ${(before / 100).toFixed(2)} to ${(after / 100).toFixed(2)}; adjust the overpayment in Xero` });
      } else if (before === 0 && after > 0) {
        const party = overpaymentParty(doc);
        const contactId = party ? contacts.contactIds.get(party.id) : undefined;
        if (!contactId) errors.push({ field: 'customer', message: party ? (contacts.failures.get(party.id) ?? `no Xero contact for "${party.name}"`) : 'an overpayment needs a customer' });
        else change.plan.overpayment = { amount: after / 100, body: overpaymentBody(doc, contactId, after) };
      }
    }
    if (errors.length > 0) refused.push(failed(doc.documentId, errors));
    else changes.push(change);
  }
  const request: ChangeRequest = { lane, changes };
  return { request, documentIds: changes.map((c) => c.documentId), refused };
}

export async function sendPaymentChanges(deps: XeroDeps, session: ProviderSession, request: ChangeRequest, documentIds: readonly string[], idempotencyKey: string): Promise<DocumentOutcome[]> {
  const errors = new Map<string, ProviderMessage[]>(request.changes.map((c) => [c.documentId, []]));
  // Deletes first: a payment moved to a larger amount on the same invoice needs the old one gone.
  let n = 0;
  for (const change of request.changes) {
    for (const paymentId of change.deletes) {
      n++;
      if (errors.get(change.documentId)!.length > 0) continue;
      const messages = await deleteXeroPayment(deps, session, paymentId, callKey(idempotencyKey, `d${n}`));
      errors.get(change.documentId)!.push(...messages);
    }
  }
  const plans = request.changes.filter((c) => errors.get(c.documentId)!.length === 0).map((c) => c.plan);
  const made = await runPaymentPlans(deps, session, plans, idempotencyKey);
  return documentIds.map((documentId, index): DocumentOutcome => {
    const change = request.changes[index]!;
    const problems = [...errors.get(documentId)!, ...(made.get(documentId)?.errors ?? [])];
    if (problems.length > 0) return failed(documentId, problems);
    const result = made.get(documentId)!;
    const payments = [...change.keep, ...result.made];
    const overpayment = change.overpayment ?? (result.overpaymentId && change.plan.overpayment ? { id: result.overpaymentId, amount: change.plan.overpayment.amount } : undefined);
    const refs = paymentRefs(payments, overpayment);
    const providerId = payments[0]?.paymentId ?? overpayment?.id ?? change.providerId;
    if (!providerId) return failed(documentId, [{ message: 'no Xero payment is left for this document' }]);
    if (change.operation === 'void') {
      return { documentId, status: 'synced', providerId, providerNumber: null, providerStatus: 'DELETED', providerRefs: { ...refs, ...(change.overpayment ? { overpayment_kept: true } : {}) } };
    }
    return { documentId, status: 'synced', providerId, providerNumber: null, providerStatus: 'AUTHORISED', providerRefs: refs };
  });
}
