import type { DemoEvent } from './events.ts';

/**
 * What happens to the demo's documents after their first sync, as the platform would say it:
 * INV-1001 gains a line (version 2), one payment pays INV-1001 in full and part of INV-1002,
 * a credit note credits two returned milk jugs on INV-1002
 * (both for the same customer), and INV-1003 is voided. They are sent
 * together: the payment waits for the edit of INV-1001 so it lands on the new total.
 */

/** What each follow-up should leave, checked against Ledgerport's documents at the end. */
export interface ExpectedState {
  readonly sourceId: string;
  readonly status: 'synced' | 'voided';
  /** The version the provider must hold. */
  readonly syncedVersion?: number;
  /** What the provider reports as still due (invoices), as Ledgerport shows it. */
  readonly amountDue?: string;
}

export interface FollowUps {
  readonly events: readonly DemoEvent[];
  readonly expected: readonly ExpectedState[];
}

const DESCALING_KIT = { description: 'Descaling kit', quantity: '1', unit_price: '18.00', tax_rate: '20', item_code: 'DK-1', category: 'sales' } as const;

/** `invoiceSource` gives the version 1 invoice object the demo sent for a platform id. */
export function demoFollowUps(tenantId: string, invoiceSource: (id: string) => Record<string, unknown>): FollowUps {
  const occurredAt = new Date().toISOString();
  const today = occurredAt.slice(0, 10);
  const envelope = (type: string, data: Record<string, unknown>) => ({ type, tenant_id: tenantId, occurred_at: occurredAt, data });
  const inv1001 = invoiceSource('inv_1001');
  const inv1003 = invoiceSource('inv_1003');
  const inv1002 = invoiceSource('inv_1002');
  // 649.00 + 45.00 + 18.00 = 712.00 net, 854.40 with VAT at 20%.
  const edited = { ...inv1001, version: 2, lines: [...(inv1001.lines as unknown[]), DESCALING_KIT] };
  const events: DemoEvent[] = [
    { label: 'INV-1001 v2: adds a descaling kit, 854.40', event: envelope('sales_invoice.posted', { invoice: edited }) },
    {
      label: 'PAY-9001 954.40 over INV-1001 and INV-1002',
      event: envelope('payment.recorded', {
        payment: {
          id: 'pay_9001',
          version: 1,
          date: today,
          amount: '954.40',
          currency: 'GBP',
          reference: 'PAY-9001',
          allocations: [
            { invoice_id: 'inv_1001', amount: '854.40' },
            { invoice_id: 'inv_1002', amount: '100.00' },
          ],
        },
      }),
    },
    {
      label: 'CN-2001 20.40 for 2 milk jugs on INV-1002',
      event: envelope('credit_note.posted', {
        credit_note: {
          id: 'cn_2001',
          version: 1,
          number: 'CN-2001',
          reference: 'Returned: 2 milk jugs',
          issue_date: today,
          currency: 'GBP',
          amounts_are: 'exclusive',
          customer: inv1002.customer,
          invoice_id: 'inv_1002',
          lines: [{ description: 'Milk jugs, 600 ml, stainless (returned)', quantity: '2', unit_price: '8.50', tax_rate: '20', item_code: 'MJ-600', category: 'sales' }],
        },
      }),
    },
    { label: 'INV-1003 voided (order cancelled)', event: envelope('sales_invoice.voided', { invoice: { ...inv1003, version: 2 } }) },
  ];
  return {
    events,
    expected: [
      { sourceId: 'inv_1001', status: 'synced', syncedVersion: 2, amountDue: '0.00' },
      // 244.80 − 100.00 paid − 20.40 credited.
      { sourceId: 'inv_1002', status: 'synced', amountDue: '124.40' },
      { sourceId: 'inv_1003', status: 'voided' },
      { sourceId: 'pay_9001', status: 'synced' },
      { sourceId: 'cn_2001', status: 'synced' },
    ],
  };
}
