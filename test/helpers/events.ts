import { shippedInvoice } from './harness.ts';

/** Ops webhook builders for what happens to documents after their first sync (issue 9). */

type Invoice = ReturnType<typeof shippedInvoice>['data']['invoice'];

export function invoiceEvent(tenantId: string, id: string, opts: { version?: number; number?: string; type?: string; lines?: unknown[]; patch?: Partial<Invoice> } = {}) {
  const event = shippedInvoice({ tenantId, id, version: opts.version ?? 1, type: opts.type, lines: opts.lines });
  event.data.invoice.number = opts.number ?? id.toUpperCase();
  Object.assign(event.data.invoice, opts.patch);
  return event;
}

export const voidedInvoice = (tenantId: string, id: string, version: number, opts: { number?: string } = {}) =>
  invoiceEvent(tenantId, id, { version, number: opts.number, type: 'sales_invoice.voided' });

export function paymentEvent(
  tenantId: string,
  id: string,
  opts: { version?: number; amount: string; allocations: { invoice_id: string; amount: string }[]; type?: 'payment.recorded' | 'payment.deleted'; customer?: boolean; reference?: string },
) {
  return {
    type: opts.type ?? 'payment.recorded',
    tenant_id: tenantId,
    occurred_at: '2026-11-25T10:00:00Z',
    data: {
      payment: {
        id,
        version: opts.version ?? 1,
        date: '2026-11-25',
        amount: opts.amount,
        currency: 'GBP',
        reference: opts.reference ?? `PAY-${id}`,
        ...(opts.customer ? { customer: { id: 'cus_9', name: 'Acme Ltd', email: 'ap@acme.test' } } : {}),
        allocations: opts.allocations,
      },
    },
  };
}

export function creditNoteEvent(tenantId: string, id: string, opts: { version?: number; invoiceId?: string; unitPrice?: string; type?: 'credit_note.posted' | 'credit_note.voided' } = {}) {
  return {
    type: opts.type ?? 'credit_note.posted',
    tenant_id: tenantId,
    occurred_at: '2026-11-26T10:00:00Z',
    data: {
      credit_note: {
        id,
        version: opts.version ?? 1,
        number: id.toUpperCase(),
        reference: 'RETURN-1',
        issue_date: '2026-11-26',
        currency: 'GBP',
        amounts_are: 'exclusive',
        customer: { id: 'cus_9', name: 'Acme Ltd', email: 'ap@acme.test' },
        ...(opts.invoiceId ? { invoice_id: opts.invoiceId } : {}),
        lines: [{ description: 'Returned widget', quantity: '1', unit_price: opts.unitPrice ?? '10.00', tax_rate: '20', category: 'sales' }],
      },
    },
  };
}

export function refundEvent(tenantId: string, id: string, creditNoteId: string, opts: { version?: number; amount: string; type?: 'credit_note.refunded' | 'refund.deleted' }) {
  return {
    type: opts.type ?? 'credit_note.refunded',
    tenant_id: tenantId,
    occurred_at: '2026-11-27T10:00:00Z',
    data: { refund: { id, version: opts.version ?? 1, credit_note_id: creditNoteId, date: '2026-11-27', amount: opts.amount, currency: 'GBP', reference: `REF-${id}` } },
  };
}
