/**
 * The n-th shipped invoice of the drain: a unique id and number, one of `customers` customers
 * (so contact resolution sees realistic repeats), two lines at the UK standard rate.
 */
export function shippedInvoice(tenantId: string, n: number, customers: number) {
  const customer = n % customers;
  return {
    type: 'sales_order.shipped',
    tenant_id: tenantId,
    occurred_at: new Date().toISOString(),
    data: {
      invoice: {
        id: `inv_drain_${n}`,
        version: 1,
        number: `INV-${String(100000 + n)}`,
        reference: `SO-${String(500000 + n)}`,
        issue_date: '2026-11-21',
        due_date: '2026-12-21',
        currency: 'GBP',
        amounts_are: 'exclusive',
        customer: {
          id: `cus_drain_${String(customer).padStart(3, '0')}`,
          name: `Drain Customer ${String(customer).padStart(3, '0')} Ltd`,
          email: `accounts${customer}@customer.test`,
        },
        lines: [
          { description: 'Widget, stainless, 40 mm', quantity: String(1 + (n % 7)), unit_price: '10.00', tax_rate: '20', item_code: 'W-1', category: 'sales' },
          { description: 'Delivery and handling', quantity: '1', unit_price: '12.50', tax_rate: '20', item_code: 'SHIP', category: 'shipping' },
        ],
      },
    },
  };
}
