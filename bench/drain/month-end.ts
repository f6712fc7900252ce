import { shippedInvoice } from './invoices.ts';

/**
 * The month-end mix on top of the drain's N shipped invoices: edits of every tenth invoice,
 * one payment over two invoices of one customer for two in ten, one in ten of them overpaid, and a credit note
 * for one in fifty. The sets are disjoint where the provider's rules would make the order
 * matter (Xero refuses to edit an invoice that has a payment), so every document has one
 * expected final state. Everything is sent right after the invoices, so payments and credit
 * notes meet invoices still queued and wait for them.
 */
export interface MonthEndMix {
  /** Every ops event after the invoices, in sending order. */
  readonly events: readonly { readonly id: string; readonly event: unknown }[];
  readonly edits: number;
  readonly payments: number;
  /** Payment allocations (Xero: one Payment each). */
  readonly allocations: number;
  readonly overpayments: number;
  readonly creditNotes: number;
  /** Documents in Ledgerport at the end: invoices, payments and credit notes. */
  readonly documents: number;
}

export const isEdited = (n: number) => n % 10 === 0;
const isCredited = (n: number) => n % 50 === 5;
/**
 * One payment over two invoices of the same customer (n and n + customers): for invoices ending
 * in 1 or 3 of every other block of `customers`, so each invoice is in at most one payment.
 */
const paysPair = (n: number, customers: number) => (n % 10 === 1 || n % 10 === 3) && Math.floor(n / customers) % 2 === 0;

export function monthEndMix(tenantId: string, invoices: number, customers: number): MonthEndMix {
  const events: { id: string; event: unknown }[] = [];
  let edits = 0;
  let payments = 0;
  let allocations = 0;
  let overpayments = 0;
  let creditNotes = 0;
  const occurredAt = new Date().toISOString();
  for (let n = 0; n < invoices; n++) {
    const invoice = shippedInvoice(tenantId, n, customers);
    if (isEdited(n)) {
      edits++;
      invoice.data.invoice.version = 2;
      invoice.data.invoice.due_date = '2027-01-15';
      events.push({ id: `msg_edit_${n}`, event: invoice });
    }
    const partner = n + customers;
    if (paysPair(n, customers) && partner < invoices) {
      payments++;
      allocations += 2;
      const over = payments % 10 === 0;
      if (over) overpayments++;
      events.push({
        id: `msg_pay_${n}`,
        event: {
          type: 'payment.recorded',
          tenant_id: tenantId,
          occurred_at: occurredAt,
          data: {
            payment: {
              id: `pay_drain_${n}`,
              version: 1,
              date: '2026-11-28',
              // 10.00 on each invoice; an overpayment leaves 5.00 as credit.
              amount: over ? '25.00' : '20.00',
              currency: 'GBP',
              reference: `BACS-${n}`,
              customer: invoice.data.invoice.customer,
              allocations: [n, partner].map((i) => ({ invoice_id: `inv_drain_${i}`, amount: '10.00' })),
            },
          },
        },
      });
    }
    if (isCredited(n)) {
      creditNotes++;
      events.push({
        id: `msg_credit_${n}`,
        event: {
          type: 'credit_note.posted',
          tenant_id: tenantId,
          occurred_at: occurredAt,
          data: {
            credit_note: {
              id: `cn_drain_${n}`,
              version: 1,
              number: `CN-${100000 + n}`,
              reference: `RMA-${n}`,
              issue_date: '2026-11-28',
              currency: 'GBP',
              amounts_are: 'exclusive',
              customer: invoice.data.invoice.customer,
              invoice_id: `inv_drain_${n}`,
              lines: [{ description: 'Returned widget', quantity: '1', unit_price: '5.00', tax_rate: '20', category: 'sales' }],
            },
          },
        },
      });
    }
  }
  return { events, edits, payments, allocations, overpayments, creditNotes, documents: invoices + payments + creditNotes };
}

/**
 * The fewest write calls the mix can take at Xero, one request per lane and batch: creates and
 * edits 50 invoices a call, payments 50 allocations a call, credit notes 50 a call plus one
 * allocation call each (Xero allocates one credit note per call), one overpayment call each.
 */
export function xeroLowerBound(invoices: number, mix: MonthEndMix): { calls: number; text: string } {
  const parts = [
    ['invoice creates', Math.ceil(invoices / 50)],
    ['invoice updates', Math.ceil(mix.edits / 50)],
    ['payments', Math.ceil(mix.allocations / 50)],
    ['overpayments', mix.overpayments],
    ['credit notes', Math.ceil(mix.creditNotes / 50)],
    ['credit allocations', mix.creditNotes],
  ] as const;
  return { calls: parts.reduce((a, [, n]) => a + n, 0), text: parts.map(([what, n]) => `${what} ${n}`).join(' + ') };
}
