import { sql } from 'kysely';
import type { Database, Tx } from '../../db/database.ts';
import type { ProviderContact, ProviderPurchaseOrder } from '../../providers/types.ts';

export type UpsertOutcome = 'created' | 'changed' | 'unchanged';

/**
 * Upserts contacts by provider id. A row only changes (and takes a new change_seq) when one of
 * the fields the platform sees changed, so re-imports and replays are no-ops.
 */
export async function upsertContacts(tx: Tx, tenantId: string, provider: string, contacts: readonly ProviderContact[]): Promise<Map<string, UpsertOutcome>> {
  const outcomes = new Map<string, UpsertOutcome>(contacts.map((c) => [c.id, 'unchanged']));
  if (contacts.length === 0) return outcomes;
  const rows = contacts.map((c) => ({
    tenant_id: tenantId,
    provider,
    provider_contact_id: c.id,
    name: c.name,
    email: c.email,
    phones: JSON.stringify(c.phones),
    // The platform reads snake_case JSON.
    addresses: JSON.stringify(c.addresses.map((a) => ({ type: a.type, lines: a.lines, city: a.city, region: a.region, postal_code: a.postalCode, country: a.country }))),
    tax_number: c.taxNumber,
    is_customer: c.isCustomer,
    is_supplier: c.isSupplier,
    archived: c.archived,
    provider_updated_at: c.updatedAt,
  }));
  const changed = await tx
    .insertInto('contacts')
    .values(rows)
    .onConflict((oc) =>
      oc
        .columns(['tenant_id', 'provider_contact_id'])
        .doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          email: eb.ref('excluded.email'),
          phones: eb.ref('excluded.phones'),
          addresses: eb.ref('excluded.addresses'),
          tax_number: eb.ref('excluded.tax_number'),
          is_customer: eb.ref('excluded.is_customer'),
          is_supplier: eb.ref('excluded.is_supplier'),
          archived: eb.ref('excluded.archived'),
          provider_updated_at: eb.ref('excluded.provider_updated_at'),
          change_seq: sql`nextval('record_change_seq')`,
          updated_at: sql`now()`,
        }))
        .where(sql<boolean>`(contacts.name, contacts.email, contacts.phones, contacts.addresses, contacts.tax_number, contacts.is_customer, contacts.is_supplier, contacts.archived)
          is distinct from (excluded.name, excluded.email, excluded.phones, excluded.addresses, excluded.tax_number, excluded.is_customer, excluded.is_supplier, excluded.archived)`),
    )
    .returning(['provider_contact_id', sql<boolean>`xmax = 0`.as('inserted')])
    .execute();
  for (const row of changed) outcomes.set(row.provider_contact_id, row.inserted ? 'created' : 'changed');
  return outcomes;
}

export type PurchaseOrderOutcome = UpsertOutcome | 'closed' | 'skipped';

/**
 * Open purchase orders are upserted; one that stopped being open is marked closed (never
 * deleted); one we never imported and that is not open is skipped.
 */
export async function applyPurchaseOrders(tx: Tx, tenantId: string, provider: string, orders: readonly ProviderPurchaseOrder[]): Promise<Map<string, PurchaseOrderOutcome>> {
  const outcomes = new Map<string, PurchaseOrderOutcome>();
  const open = orders.filter((o) => o.open);
  const notOpen = orders.filter((o) => !o.open);
  for (const o of notOpen) outcomes.set(o.id, 'skipped');
  if (open.length > 0) {
    const rows = open.map((o) => ({
      tenant_id: tenantId,
      provider,
      provider_po_id: o.id,
      number: o.number,
      reference: o.reference,
      status: 'open' as const,
      provider_status: o.providerStatus,
      supplier: JSON.stringify(o.supplier),
      lines: JSON.stringify(
        o.lines.map((l) => ({ description: l.description, quantity: l.quantity, unit_price: l.unitPrice, item_code: l.itemCode, account_code: l.accountCode, line_amount: l.lineAmount })),
      ),
      currency: o.currency,
      issue_date: o.issueDate,
      delivery_date: o.deliveryDate,
      total: o.total,
      provider_updated_at: o.updatedAt,
    }));
    for (const o of open) outcomes.set(o.id, 'unchanged');
    const changed = await tx
      .insertInto('purchase_orders')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'provider_po_id'])
          .doUpdateSet((eb) => ({
            number: eb.ref('excluded.number'),
            reference: eb.ref('excluded.reference'),
            status: 'open',
            provider_status: eb.ref('excluded.provider_status'),
            supplier: eb.ref('excluded.supplier'),
            lines: eb.ref('excluded.lines'),
            currency: eb.ref('excluded.currency'),
            issue_date: eb.ref('excluded.issue_date'),
            delivery_date: eb.ref('excluded.delivery_date'),
            total: eb.ref('excluded.total'),
            provider_updated_at: eb.ref('excluded.provider_updated_at'),
            closed_at: null,
            change_seq: sql`nextval('record_change_seq')`,
            updated_at: sql`now()`,
          }))
          .where(sql<boolean>`(purchase_orders.number, purchase_orders.reference, purchase_orders.status, purchase_orders.supplier, purchase_orders.lines, purchase_orders.total, purchase_orders.delivery_date)
            is distinct from (excluded.number, excluded.reference, excluded.status, excluded.supplier, excluded.lines, excluded.total, excluded.delivery_date)`),
      )
      .returning(['provider_po_id', sql<boolean>`xmax = 0`.as('inserted')])
      .execute();
    for (const row of changed) outcomes.set(row.provider_po_id, row.inserted ? 'created' : 'changed');
  }
  if (notOpen.length > 0) {
    const closed = await tx
      .updateTable('purchase_orders')
      .set({ status: 'closed', closed_at: new Date(), change_seq: sql`nextval('record_change_seq')`, updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'open')
      .where('provider_po_id', 'in', notOpen.map((o) => o.id))
      .returning('provider_po_id')
      .execute();
    for (const row of closed) outcomes.set(row.provider_po_id, 'closed');
    // Keep the provider's latest status on closed rows too (e.g. BILLED after DELETED).
    for (const o of notOpen) {
      await tx.updateTable('purchase_orders').set({ provider_status: o.providerStatus }).where('tenant_id', '=', tenantId).where('provider_po_id', '=', o.id).execute();
    }
  }
  return outcomes;
}

/** Contacts by change order, with the platform's own id where a pushed document linked one. */
export async function listContacts(db: Database, opts: { tenantId: string; updatedSince?: Date; afterSeq?: string; limit: number }) {
  let query = db
    .selectFrom('contacts as c')
    .leftJoin('contact_links as l', (join) =>
      join.onRef('l.tenant_id', '=', 'c.tenant_id').onRef('l.provider', '=', 'c.provider').onRef('l.provider_contact_id', '=', 'c.provider_contact_id'),
    )
    .select([
      'c.provider', 'c.provider_contact_id', 'c.name', 'c.email', 'c.phones', 'c.addresses', 'c.tax_number', 'c.is_customer',
      'c.is_supplier', 'c.archived', 'c.provider_updated_at', 'c.change_seq', 'c.updated_at', 'l.platform_contact_id',
    ])
    .where('c.tenant_id', '=', opts.tenantId);
  if (opts.updatedSince) query = query.where('c.updated_at', '>=', opts.updatedSince);
  if (opts.afterSeq) query = query.where('c.change_seq', '>', opts.afterSeq);
  return query.orderBy('c.change_seq').limit(opts.limit).execute();
}

export async function listPurchaseOrders(db: Database, opts: { tenantId: string; status?: 'open' | 'closed'; afterSeq?: string; limit: number }) {
  let query = db
    .selectFrom('purchase_orders as p')
    .leftJoin('contact_links as l', (join) =>
      join.onRef('l.tenant_id', '=', 'p.tenant_id').onRef('l.provider', '=', 'p.provider').on('l.provider_contact_id', '=', sql<string>`p.supplier->>'id'`),
    )
    .select([
      'p.provider', 'p.provider_po_id', 'p.number', 'p.reference', 'p.status', 'p.provider_status', 'p.supplier', 'p.lines', 'p.currency',
      'p.issue_date', 'p.delivery_date', 'p.total', 'p.provider_updated_at', 'p.closed_at', 'p.change_seq', 'p.updated_at', 'l.platform_contact_id',
    ])
    .where('p.tenant_id', '=', opts.tenantId);
  if (opts.status) query = query.where('p.status', '=', opts.status);
  if (opts.afterSeq) query = query.where('p.change_seq', '>', opts.afterSeq);
  return query.orderBy('p.change_seq').limit(opts.limit).execute();
}
