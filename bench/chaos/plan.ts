import type { Rng } from './rng.ts';

/**
 * What the platform will send in the chaos run, decided up front from the seed: N invoices and
 * bills spread over the tenants (half Xero, half QuickBooks), with edits (some sent right behind
 * the create, before any answer; the others once the platform saw the document synced), voids
 * (once synced) and payments over one or two invoices of one customer (once their invoices are
 * synced in their last version). Amounts are whole pounds in multiples of 5 so every total,
 * 20% VAT included, is exact.
 */
export type ProviderName = 'xero' | 'quickbooks';
export type SourceKind = 'sales_invoice' | 'supplier_bill';

export interface TenantPlan {
  readonly id: string;
  readonly provider: ProviderName;
  readonly organisation: string;
}

export interface Line {
  readonly description: string;
  readonly quantity: string;
  readonly unit_price: string;
  readonly tax_rate: string;
  readonly item_code?: string;
  readonly category: string;
}

export interface DocumentPlan {
  /** `${tenant}/${kind}/${sourceId}`. */
  readonly key: string;
  readonly tenant: TenantPlan;
  readonly kind: SourceKind;
  readonly sourceId: string;
  /** Sales invoice number, or the supplier invoice number of a bill (what the provider stores as its number). */
  readonly number: string;
  readonly party: { id: string; name: string; email: string };
  readonly lines: readonly Line[];
  /** 'early': version 2 goes out right behind version 1; 'late': once version 1 is seen synced. */
  readonly edit: 'none' | 'early' | 'late';
  readonly voids: boolean;
  /** Set on invoices a payment covers. */
  paymentKey?: string;
  /** When (ms after the load starts) version 1 is sent. */
  readonly sendAt: number;
}

export interface PaymentPlan {
  readonly key: string;
  readonly tenant: TenantPlan;
  readonly sourceId: string;
  readonly reference: string;
  readonly customer: DocumentPlan['party'];
  readonly invoices: readonly DocumentPlan[];
  /** Per invoice, as a decimal string. */
  readonly perInvoice: string;
}

export interface ChaosPlan {
  readonly tenants: readonly TenantPlan[];
  readonly documents: readonly DocumentPlan[];
  readonly payments: readonly PaymentPlan[];
}

export const EXTRA_LINE: Line = { description: 'Fitting kit (added in an edit)', quantity: '1', unit_price: '25.00', tax_rate: '20', item_code: 'FK-25', category: 'sales' };

/** The lines of a version: an edit adds EXTRA_LINE (and moves the due date). */
export function linesOf(doc: DocumentPlan, version: number): Line[] {
  const edited = doc.edit !== 'none' && version >= 2;
  const extra = doc.kind === 'supplier_bill' ? { ...EXTRA_LINE, category: 'materials' } : EXTRA_LINE;
  return edited ? [...doc.lines, extra] : [...doc.lines];
}

/** Gross total in pence of a version's lines (20% VAT on each; every amount a multiple of 5). */
export function totalPence(lines: readonly Line[]): number {
  return lines.reduce((sum, l) => sum + Math.round(Number(l.quantity) * Number(l.unit_price) * 100 * (1 + Number(l.tax_rate) / 100)), 0);
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function makePlan(opts: { seed: number; documents: number; tenants: number; loadSeconds: number; rng: Rng }): ChaosPlan {
  const { rng } = opts;
  const tenants: TenantPlan[] = Array.from({ length: opts.tenants }, (_, i) => {
    const provider: ProviderName = i % 2 === 0 ? 'xero' : 'quickbooks';
    return { id: `org_chaos_${pad(i, 2)}`, provider, organisation: `Chaos ${provider === 'xero' ? 'Trading' : 'Supplies'} ${pad(i, 2)} Ltd` };
  });
  const documents: DocumentPlan[] = [];
  for (let n = 0; n < opts.documents; n++) {
    const tenant = tenants[n % tenants.length]!;
    const kind: SourceKind = rng.chance(0.7) ? 'sales_invoice' : 'supplier_bill';
    const partyNo = kind === 'sales_invoice' ? rng.int(0, 7) : rng.int(0, 3);
    const party =
      kind === 'sales_invoice'
        ? { id: `cus_${tenant.id}_${partyNo}`, name: `Chaos Customer ${pad(partyNo, 2)} of ${tenant.id}`, email: `ap${partyNo}@${tenant.id.replace(/_/g, '-')}.test` }
        : { id: `sup_${tenant.id}_${partyNo}`, name: `Chaos Supplier ${pad(partyNo, 2)} of ${tenant.id}`, email: `ar${partyNo}@${tenant.id.replace(/_/g, '-')}.test` };
    const category = kind === 'sales_invoice' ? 'sales' : 'materials';
    const lines: Line[] = [
      { description: 'Widget, stainless, 40 mm', quantity: String(rng.int(1, 7)), unit_price: '10.00', tax_rate: '20', item_code: 'W-1', category },
      { description: 'Delivery and handling', quantity: '1', unit_price: `${rng.pick([5, 15, 20])}.00`, tax_rate: '20', item_code: 'SHIP', category },
    ];
    const roll = rng.next();
    const edit = roll < 0.08 ? 'early' : roll < 0.2 ? 'late' : 'none';
    const voids = rng.chance(0.1);
    documents.push({
      key: `${tenant.id}/${kind}/${kind === 'sales_invoice' ? 'inv' : 'bill'}_chaos_${n}`,
      tenant,
      kind,
      sourceId: `${kind === 'sales_invoice' ? 'inv' : 'bill'}_chaos_${n}`,
      number: kind === 'sales_invoice' ? `INV-${200000 + n}` : `SUP-${300000 + n}`,
      party,
      lines,
      edit,
      voids,
      sendAt: Math.round(rng.between(0, opts.loadSeconds * 1000)),
    });
  }
  documents.sort((a, b) => a.sendAt - b.sendAt);

  // Payments: about one invoice in five that is not voided, some over two invoices of one customer.
  const payments: PaymentPlan[] = [];
  const open = new Map<string, DocumentPlan[]>();
  for (const doc of documents) {
    if (doc.kind !== 'sales_invoice' || doc.voids || !rng.chance(0.2)) continue;
    const groupKey = `${doc.tenant.id}|${doc.party.id}`;
    const waiting = open.get(groupKey) ?? [];
    waiting.push(doc);
    open.set(groupKey, waiting);
    const size = rng.chance(0.4) ? 2 : 1;
    if (waiting.length >= size) {
      open.delete(groupKey);
      const n = payments.length;
      const sourceId = `pay_chaos_${n}`;
      const key = `${doc.tenant.id}/payment/${sourceId}`;
      for (const inv of waiting) inv.paymentKey = key;
      payments.push({ key, tenant: doc.tenant, sourceId, reference: `PAY-${500000 + n}`, customer: doc.party, invoices: waiting, perInvoice: '10.00' });
    }
  }
  return { tenants, documents, payments };
}

const ISSUE = '2026-11-21';

/** The ops event for a version of a document (a void carries the whole object with the new version). */
export function documentEvent(doc: DocumentPlan, version: number, voided: boolean): Record<string, unknown> {
  const lines = linesOf(doc, voided ? version - 1 : version);
  const edited = doc.edit !== 'none' && version >= 2;
  const common = {
    id: doc.sourceId,
    version,
    issue_date: ISSUE,
    due_date: edited ? '2027-01-15' : '2026-12-21',
    currency: 'GBP',
    amounts_are: 'exclusive',
    lines,
  };
  const occurred_at = new Date().toISOString();
  if (doc.kind === 'sales_invoice') {
    return {
      type: voided ? 'sales_invoice.voided' : version === 1 ? 'sales_order.shipped' : 'sales_invoice.posted',
      tenant_id: doc.tenant.id,
      occurred_at,
      data: { invoice: { ...common, number: doc.number, reference: `SO-${doc.sourceId}`, customer: doc.party } },
    };
  }
  return {
    type: voided ? 'supplier_bill.voided' : 'supplier_bill.requested',
    tenant_id: doc.tenant.id,
    occurred_at,
    data: {
      bill: {
        ...common,
        number: `PO-${doc.sourceId}`,
        reference: `PO-${doc.sourceId}`,
        purchase_order_id: `po_${doc.sourceId}`,
        supplier_invoice_number: doc.number,
        supplier: doc.party,
      },
    },
  };
}

export function paymentEvent(payment: PaymentPlan): Record<string, unknown> {
  const amount = (Number(payment.perInvoice) * payment.invoices.length).toFixed(2);
  return {
    type: 'payment.recorded',
    tenant_id: payment.tenant.id,
    occurred_at: new Date().toISOString(),
    data: {
      payment: {
        id: payment.sourceId,
        version: 1,
        date: '2026-11-28',
        amount,
        currency: 'GBP',
        reference: payment.reference,
        customer: payment.customer,
        allocations: payment.invoices.map((inv) => ({ invoice_id: inv.sourceId, amount: payment.perInvoice })),
      },
    },
  };
}

/** The last version the platform sends for a document, and whether it ends voided. */
export function finalVersion(doc: DocumentPlan): number {
  return 1 + (doc.edit !== 'none' ? 1 : 0) + (doc.voids ? 1 : 0);
}
