import type { Tx } from '../../db/database.ts';
import type { NewFeedEvent } from '../../feed/types.ts';
import type { FeedWriter } from '../../feed/writer.ts';
import type { ProviderPurchaseOrder } from '../../providers/types.ts';
import type { PageResult } from './run-import.ts';
import { applyPurchaseOrders } from './records-repo.ts';

export function purchaseOrderEventData(o: ProviderPurchaseOrder) {
  return { provider_po_id: o.id, number: o.number, supplier: o.supplier, status: o.open ? 'open' : 'closed', provider_status: o.providerStatus, total: o.total };
}

/** Imports open purchase orders and closes the ones that stopped being open. Never touches the provider. */
export async function importPurchaseOrdersPage(tx: Tx, feed: FeedWriter, tenantId: string, provider: string, orders: readonly ProviderPurchaseOrder[]): Promise<PageResult> {
  const outcomes = await applyPurchaseOrders(tx, tenantId, provider, orders);
  const items = orders.map((o) => {
    const outcome = outcomes.get(o.id) ?? 'skipped';
    const imported = outcome === 'created' || outcome === 'changed' || outcome === 'closed';
    return { itemType: 'purchase_order', itemId: o.id, outcome: imported ? ('succeeded' as const) : ('skipped' as const), message: `${outcome}: ${o.number ?? o.id} (${o.providerStatus})` };
  });
  const events: NewFeedEvent[] = [];
  for (const o of orders) {
    const outcome = outcomes.get(o.id);
    if (outcome === 'created' || outcome === 'changed') events.push({ type: 'purchase_order.imported', data: purchaseOrderEventData(o) });
    if (outcome === 'closed') events.push({ type: 'purchase_order.closed', data: purchaseOrderEventData(o) });
  }
  await feed.appendEvents(tx, tenantId, events);
  const newest = orders.reduce<Date | null>((max, o) => (o.updatedAt && (!max || o.updatedAt > max) ? o.updatedAt : max), null);
  return { items, newest };
}
