import { signWebhook } from '../../src/security/standard-webhooks.ts';

export interface Delivery {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

const LINES = [
  { description: 'Widget, stainless, 40 mm, boxed in tens for trade customers', quantity: '2', unit_price: '10.00', tax_rate: '20', item_code: 'W-1', category: 'sales' },
  { description: 'Bracket, galvanised steel, heavy duty, with fixings', quantity: '12', unit_price: '3.45', tax_rate: '20', item_code: 'BR-7', category: 'sales' },
  { description: 'Sealant cartridge, clear silicone, 310 ml', quantity: '6', unit_price: '4.99', tax_rate: '20', discount_rate: '5', item_code: 'SC-310', category: 'sales' },
  { description: 'Delivery and handling (next working day, tracked)', quantity: '1', unit_price: '12.50', tax_rate: '20', item_code: 'SHIP-NDD', category: 'shipping' },
];

/**
 * Makes signed `sales_order.shipped` deliveries shaped like the test fixture (DESIGN.md example):
 * about 1 KB each, a unique webhook-id and a distinct invoice id per delivery, spread over tenants.
 * The phase tag in the webhook-id lets the bench group rows per phase afterwards.
 */
export function createDeliveryFactory(opts: { secret: string; runId: string; tenants: number }) {
  let seq = 0;
  return (phase: string): Delivery => {
    const n = seq++;
    const tenant = n % opts.tenants;
    const id = `msg_${opts.runId}_${phase}_${n}`;
    const event = {
      type: 'sales_order.shipped',
      tenant_id: `org_bench_${String(tenant).padStart(3, '0')}`,
      occurred_at: new Date().toISOString(),
      data: {
        invoice: {
          id: `inv_${opts.runId}_${n}`,
          version: 1,
          number: `INV-${100000 + n}`,
          reference: `SO-${70000 + n}`,
          issue_date: '2026-11-21',
          due_date: '2026-12-21',
          currency: 'GBP',
          amounts_are: 'exclusive',
          customer: { id: `cus_${tenant}_${n % 97}`, name: 'Acme Industrial Supplies Ltd', email: 'accounts.payable@acme.test' },
          lines: LINES,
        },
      },
    };
    const body = Buffer.from(JSON.stringify(event));
    const timestamp = Math.floor(Date.now() / 1000);
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(opts.secret, id, timestamp, body),
      },
    };
  };
}

export type DeliveryFactory = ReturnType<typeof createDeliveryFactory>;

/**
 * Deliveries made before a phase starts, so the measured window spends no load-generator CPU on
 * JSON and HMAC (the cores are shared with the gateway). Past the stock, deliveries are made on
 * the fly and counted, so a phase that outran its estimate says so.
 */
export function stockDeliveries(make: DeliveryFactory, phase: string, count: number) {
  const stock: (Delivery | undefined)[] = Array.from({ length: count }, () => make(phase));
  let taken = 0;
  let madeLate = 0;
  return {
    next(): Delivery {
      const delivery = stock[taken];
      if (delivery === undefined) {
        madeLate++;
        return make(phase);
      }
      stock[taken++] = undefined; // let the sent bodies be collected
      return delivery;
    },
    get madeLate() {
      return madeLate;
    },
  };
}
