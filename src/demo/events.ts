/**
 * The demo's ops events, shaped like the platform's (DESIGN.md): three shipped sales orders (two
 * for the same customer) and one supplier bill. Each run starts on a fresh database, so the ids
 * and numbers can stay the same from run to run.
 */

const SALES = [
  {
    customer: { id: 'cus_harbour', name: 'Harbour Coffee Roasters', email: 'accounts@harbour-coffee.test' },
    lines: [
      { description: 'Espresso grinder, commercial', quantity: '1', unit_price: '649.00', tax_rate: '20', item_code: 'GR-900', category: 'sales' },
      { description: 'Delivery and installation', quantity: '1', unit_price: '45.00', tax_rate: '20', category: 'sales' },
    ],
  },
  {
    // The same customer again: one payment can then settle both (a payment comes from one customer).
    customer: { id: 'cus_harbour', name: 'Harbour Coffee Roasters', email: 'accounts@harbour-coffee.test' },
    lines: [{ description: 'Milk jugs, 600 ml, stainless', quantity: '24', unit_price: '8.50', tax_rate: '20', item_code: 'MJ-600', category: 'sales' }],
  },
  {
    customer: { id: 'cus_kestrel', name: 'Kestrel Cycles', email: 'ap@kestrel-cycles.test' },
    lines: [
      { description: 'Workshop stand', quantity: '2', unit_price: '129.99', tax_rate: '20', item_code: 'WS-2', category: 'sales' },
      { description: 'Torque wrench set', quantity: '3', unit_price: '54.00', tax_rate: '20', item_code: 'TW-5', category: 'sales' },
    ],
  },
] as const;

export interface DemoEvent {
  readonly label: string;
  readonly event: Record<string, unknown>;
}

export function demoEvents(tenantId: string): DemoEvent[] {
  const today = new Date().toISOString().slice(0, 10);
  const due = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  const occurredAt = new Date().toISOString();
  const invoices = SALES.map((sale, i): DemoEvent => {
    const number = `INV-${1001 + i}`;
    return {
      label: `${number} to ${sale.customer.name}`,
      event: {
        type: 'sales_order.shipped',
        tenant_id: tenantId,
        occurred_at: occurredAt,
        data: {
          invoice: {
            id: `inv_${1001 + i}`,
            version: 1,
            number,
            reference: `SO-${7701 + i}`,
            issue_date: today,
            due_date: due,
            currency: 'GBP',
            amounts_are: 'exclusive',
            customer: sale.customer,
            lines: sale.lines,
          },
        },
      },
    };
  });
  const bill: DemoEvent = {
    label: 'bill SUP-88 from Bolt Supplies',
    event: {
      type: 'supplier_bill.requested',
      tenant_id: tenantId,
      occurred_at: occurredAt,
      data: {
        bill: {
          id: 'bill_501',
          version: 1,
          number: 'PO-501',
          reference: 'PO-501',
          purchase_order_id: 'po_501',
          supplier_invoice_number: 'SUP-88',
          issue_date: today,
          due_date: due,
          currency: 'GBP',
          amounts_are: 'exclusive',
          supplier: { id: 'sup_bolt', name: 'Bolt Supplies', email: 'ar@bolt.test' },
          lines: [{ description: 'Stainless bolts M8, box of 100', quantity: '10', unit_price: '6.25', tax_rate: '20', category: 'materials' }],
        },
      },
    },
  };
  return [...invoices, bill];
}
