// Payments:create: payments received (one Xero payment per allocation, the rest as an overpayment
// for the customer) and refunds of credit notes (a Xero payment on the credit note).
import type { PaymentSource, RefundSource } from '../../ingest/ops-envelope.ts';
import type { Party } from '../party.ts';
import type { DocumentOutcome, DocumentToPush, PreparedBatch, ProviderMessage, ProviderSession } from '../types.ts';
import { bankAccountOf, failed, money, NO_BANK_ACCOUNT, type LaneRequest } from './batch-common.ts';
import { resolveXeroContacts } from './contacts.ts';
import type { XeroDeps } from './map-documents.ts';
import { runPaymentPlans, type MadePayment, type PaymentPlan, type PlannedPayment, type XeroOverpaymentModel } from './payment-calls.ts';

export interface PaymentsRequest extends LaneRequest { plans: PaymentPlan[] }

const cents = (v: string | number): number => Math.round(Number(v) * 100);

/** The Xero payments that make up a payment's allocations (or a refund), or why there can be none. */
export function plannedPayments(doc: DocumentToPush, allocations: readonly { invoice_id: string; amount: string }[]): PlannedPayment[] | { errors: ProviderMessage[] } {
  const account = bankAccountOf(doc);
  if (!account) return { errors: [NO_BANK_ACCOUNT] };
  if (doc.kind === 'refund') {
    const source = doc.source as unknown as RefundSource;
    const creditNote = doc.related[source.credit_note_id]?.providerId;
    if (!creditNote) return { errors: [{ field: 'credit_note_id', message: `credit note ${source.credit_note_id} is not in Xero yet` }] };
    return [{ ref: { credit_note_id: source.credit_note_id }, amount: money(source.amount), body: {
      creditNote: { creditNoteID: creditNote }, account: { code: account }, date: source.date, amount: money(source.amount), ...(source.reference ? { reference: source.reference } : {}),
    } }];
  }
  const source = doc.source as unknown as PaymentSource;
  const missing = allocations.filter((a) => !doc.related[a.invoice_id]?.providerId);
  if (missing.length > 0) return { errors: missing.map((a) => ({ field: 'allocations', message: `invoice ${a.invoice_id} is not in Xero yet` })) };
  return allocations.map((a) => ({ ref: { invoice_id: a.invoice_id }, amount: money(a.amount), body: {
    invoice: { invoiceID: doc.related[a.invoice_id]!.providerId }, account: { code: account }, date: source.date, amount: money(a.amount),
    ...(source.reference ? { reference: source.reference } : {}),
  } }));
}

/** What a payment leaves over after its allocations (an overpayment at Xero), in cents. */
export const overpaidCents = (source: PaymentSource): number => cents(source.amount) - source.allocations.reduce((s, a) => s + cents(a.amount), 0);

/** The customer an overpayment is credited to: the payment's, else its first invoice's. */
export function overpaymentParty(doc: DocumentToPush): Party | undefined {
  const source = doc.source as unknown as PaymentSource;
  if (source.customer) return source.customer;
  for (const a of source.allocations) {
    const party = doc.related[a.invoice_id]?.party;
    if (party) return party;
  }
  return undefined;
}

export function overpaymentBody(doc: DocumentToPush, contactId: string, amountCents: number): XeroOverpaymentModel {
  const source = doc.source as unknown as PaymentSource;
  return {
    type: 'RECEIVE-OVERPAYMENT', contact: { contactID: contactId }, bankAccount: { code: bankAccountOf(doc)! }, lineAmountTypes: 'NoTax',
    lineItems: [{ description: `Overpayment ${source.reference ?? source.id}`, lineAmount: amountCents / 100 }],
    date: source.date, ...(source.reference ? { reference: source.reference } : {}), currencyCode: source.currency,
  };
}

/** Contacts for the overpayments of `docs` (documents without a party are refused). */
export async function overpaymentContacts(deps: XeroDeps, session: ProviderSession, docs: readonly DocumentToPush[]) {
  const parties = docs.map(overpaymentParty).filter((p): p is Party => p !== undefined);
  return resolveXeroContacts(deps, session, parties);
}

export async function preparePayments(deps: XeroDeps, session: ProviderSession, lane: string, documents: readonly DocumentToPush[]): Promise<PreparedBatch> {
  const refused: DocumentOutcome[] = [];
  const plans: PaymentPlan[] = [];
  const overpaying = documents.filter((d) => d.kind === 'payment' && overpaidCents(d.source as unknown as PaymentSource) > 0);
  const { contactIds, failures } = await overpaymentContacts(deps, session, overpaying);
  for (const doc of documents) {
    const allocations = doc.kind === 'payment' ? (doc.source as unknown as PaymentSource).allocations : [];
    const creates = plannedPayments(doc, allocations);
    if ('errors' in creates) { refused.push(failed(doc.documentId, creates.errors)); continue; }
    const plan: PaymentPlan = { documentId: doc.documentId, creates };
    if (overpaying.includes(doc)) {
      const party = overpaymentParty(doc);
      const contactId = party ? contactIds.get(party.id) : undefined;
      if (!contactId) {
        refused.push(failed(doc.documentId, [{ field: 'customer', message: party ? (failures.get(party.id) ?? `no Xero contact for "${party.name}"`) : 'an overpayment needs a customer' }]));
        continue;
      }
      const amount = overpaidCents(doc.source as unknown as PaymentSource);
      plan.overpayment = { amount: amount / 100, body: overpaymentBody(doc, contactId, amount) };
    }
    plans.push(plan);
  }
  const request: PaymentsRequest = { lane, plans };
  return { request, documentIds: plans.map((p) => p.documentId), refused };
}

/** What Ledgerport keeps for a payment or refund made at Xero (DocumentOutcome.providerRefs). */
export function paymentRefs(made: readonly MadePayment[], overpayment: { id: string; amount: number } | undefined): Record<string, unknown> {
  return {
    payments: made.map((m) => ({ ...m.ref, payment_id: m.paymentId, amount: m.amount.toFixed(2) })),
    ...(overpayment ? { overpayment_id: overpayment.id, overpayment_amount: overpayment.amount.toFixed(2) } : {}),
    providerPaymentIds: made.map((m) => m.paymentId),
  };
}

export async function sendPayments(deps: XeroDeps, session: ProviderSession, request: PaymentsRequest, documentIds: readonly string[], idempotencyKey: string): Promise<DocumentOutcome[]> {
  const results = await runPaymentPlans(deps, session, request.plans, idempotencyKey);
  return documentIds.map((documentId, index): DocumentOutcome => {
    const plan = request.plans[index]!;
    const result = results.get(documentId)!;
    if (result.errors.length > 0) return failed(documentId, result.errors);
    const overpayment = result.overpaymentId && plan.overpayment ? { id: result.overpaymentId, amount: plan.overpayment.amount } : undefined;
    const providerId = result.made[0]?.paymentId ?? overpayment?.id;
    if (!providerId) return failed(documentId, [{ message: 'Xero made no payment for this document' }]);
    return { documentId, status: 'synced', providerId, providerNumber: null, providerStatus: 'AUTHORISED', providerRefs: paymentRefs(result.made, overpayment) };
  });
}
