// The calls behind payments: PUT /Payments (one Xero payment per invoice or credit note, batched
// across documents, summarizeErrors=false), PUT /BankTransactions for overpayments, and
// POST /Payments/{id} Status DELETED. A document is applied whole or not at all: when one of its
// payments (or its overpayment) is refused, the payments Xero did make for it are deleted again,
// so a retry never finds half a document at Xero.
import type { BankTransactions, Payments } from 'xero-node';
import type { ProviderMessage, ProviderSession } from '../types.ts';
import { callKey, elementMessages, groupsOf } from './batch-common.ts';
import { callXero } from './client.ts';
import type { XeroDeps } from './map-documents.ts';

/** xero-node's Payment model as Ledgerport fills it. */
export interface XeroPaymentModel {
  invoice?: { invoiceID: string };
  creditNote?: { creditNoteID: string };
  account: { code: string };
  date: string;
  amount: number;
  reference?: string;
}

/** A RECEIVE-OVERPAYMENT bank transaction (xero-node BankTransaction model). */
export interface XeroOverpaymentModel {
  type: 'RECEIVE-OVERPAYMENT';
  contact: { contactID: string };
  bankAccount: { code: string };
  lineAmountTypes: 'NoTax';
  lineItems: { description: string; lineAmount: number }[];
  date: string;
  reference?: string;
  currencyCode: string;
}

/** `ref` is what Ledgerport keeps about the payment once made (e.g. `{ invoice_id }`). */
export interface PlannedPayment { ref: Record<string, string>; amount: number; body: XeroPaymentModel }
export interface PaymentPlan { documentId: string; creates: PlannedPayment[]; overpayment?: { amount: number; body: XeroOverpaymentModel } }
export interface MadePayment { ref: Record<string, string>; amount: number; paymentId: string }
export interface PlanResult { made: MadePayment[]; overpaymentId?: string; errors: ProviderMessage[] }

// Xero takes up to 50 elements a call; a document's payments always go in the same call.
const PER_CALL = 50;

const validationOnly = (error: unknown): ProviderMessage[] => {
  if ((error as { kind?: string }).kind !== 'validation') throw error;
  const details = (error as { details?: ProviderMessage[] }).details ?? [];
  return details.length > 0 ? [...details] : [{ message: (error as Error).message }];
};

export async function deleteXeroPayment(deps: XeroDeps, session: ProviderSession, paymentId: string, key: string): Promise<ProviderMessage[]> {
  try {
    const body = await callXero(deps, session, 'deletePayment', (api, orgId) => api.deletePayment(orgId, paymentId, { status: 'DELETED' } as never, key));
    return elementMessages(body.payments?.[0]);
  } catch (error) {
    return validationOnly(error);
  }
}

/** Makes every plan's payments, then the overpayments of the plans whose payments all went in; keys `-p<n>`, `-o<n>`, `-x<n>`. */
export async function runPaymentPlans(deps: XeroDeps, session: ProviderSession, plans: readonly PaymentPlan[], idempotencyKey: string): Promise<Map<string, PlanResult>> {
  const results = new Map<string, PlanResult>(plans.map((p) => [p.documentId, { made: [], errors: [] }]));
  const withPayments = plans.filter((p) => p.creates.length > 0);
  for (const [g, group] of groupsOf(withPayments, (p) => p.creates.length, PER_CALL).entries()) {
    const payments = group.flatMap((p) => p.creates.map((c) => c.body));
    let answers: { paymentID?: string; hasValidationErrors?: boolean; statusAttributeString?: string; validationErrors?: { message?: string }[] }[] = [];
    try {
      answers = (await callXero(deps, session, 'createPayments', (api, orgId) =>
        api.createPayments(orgId, { payments } as unknown as Payments, false, callKey(idempotencyKey, `p${g + 1}`)))).payments ?? [];
    } catch (error) {
      const messages = validationOnly(error);
      for (const p of group) results.get(p.documentId)!.errors.push(...messages);
      continue;
    }
    let at = 0;
    for (const plan of group) {
      const result = results.get(plan.documentId)!;
      for (const planned of plan.creates) {
        const answer = answers[at++];
        const messages = elementMessages(answer);
        if (!answer?.paymentID || messages.length > 0 || answer.statusAttributeString === 'ERROR') {
          result.errors.push(...(messages.length ? messages : [{ message: 'Xero returned no payment' }]));
        } else {
          result.made.push({ ref: planned.ref, amount: planned.amount, paymentId: answer.paymentID });
        }
      }
    }
  }

  const overpaying = plans.filter((p) => p.overpayment && results.get(p.documentId)!.errors.length === 0);
  for (const [g, group] of groupsOf(overpaying, () => 1, PER_CALL).entries()) {
    try {
      const answers = (await callXero(deps, session, 'createBankTransactions', (api, orgId) =>
        api.createBankTransactions(orgId, { bankTransactions: group.map((p) => p.overpayment!.body) } as unknown as BankTransactions, false, undefined, callKey(idempotencyKey, `o${g + 1}`)))).bankTransactions ?? [];
      group.forEach((plan, i) => {
        const answer = answers[i];
        const messages = elementMessages(answer);
        const result = results.get(plan.documentId)!;
        if (!answer?.overpaymentID || messages.length > 0 || answer.statusAttributeString === 'ERROR') result.errors.push(...(messages.length ? messages : [{ message: 'Xero returned no overpayment' }]));
        else result.overpaymentId = answer.overpaymentID;
      });
    } catch (error) {
      const messages = validationOnly(error);
      for (const p of group) results.get(p.documentId)!.errors.push(...messages);
    }
  }

  // Undo the payments of refused documents. The counter follows the plans' order, so a replay derives the same keys.
  let undo = 0;
  for (const plan of plans) {
    const result = results.get(plan.documentId)!;
    if (result.errors.length === 0) continue;
    for (const made of result.made) {
      undo++;
      const messages = await deleteXeroPayment(deps, session, made.paymentId, callKey(idempotencyKey, `x${undo}`));
      if (messages.length > 0) result.errors.push({ message: `payment ${made.paymentId} was made but could not be deleted again: ${messages.map((m) => m.message).join('; ')}` });
    }
    result.made = [];
  }
  return results;
}
