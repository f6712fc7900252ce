import type { Database, Tx } from '../../db/database.ts';
import type { FeedWriter } from '../../feed/writer.ts';
import type { ProviderContact } from '../../providers/types.ts';
import type { PageResult } from './run-import.ts';
import { upsertContacts } from './records-repo.ts';

/** The contact as the platform sees it in feed events. */
export function contactEventData(c: ProviderContact) {
  return { provider_contact_id: c.id, name: c.name, email: c.email, is_customer: c.isCustomer, is_supplier: c.isSupplier, archived: c.archived };
}

export async function importContactsPage(tx: Tx, feed: FeedWriter, tenantId: string, provider: string, contacts: readonly ProviderContact[]): Promise<PageResult> {
  const outcomes = await upsertContacts(tx, tenantId, provider, contacts);
  const items = contacts.map((c) => {
    const outcome = outcomes.get(c.id) ?? 'unchanged';
    return { itemType: 'contact', itemId: c.id, outcome: outcome === 'unchanged' ? ('skipped' as const) : ('succeeded' as const), message: `${outcome}: ${c.name}` };
  });
  const events = contacts
    .filter((c) => outcomes.get(c.id) !== 'unchanged')
    .map((c) => ({ type: outcomes.get(c.id) === 'created' ? ('contact.imported' as const) : ('contact.changed' as const), data: contactEventData(c) }));
  // Appended last: the tenant's feed counter stays locked only until this page commits.
  await feed.appendEvents(tx, tenantId, events);
  const newest = contacts.reduce<Date | null>((max, c) => (c.updatedAt && (!max || c.updatedAt > max) ? c.updatedAt : max), null);
  return { items, newest };
}

/** A dry run's counts: what the import would bring in, compared with what is already here. */
export async function countContactsPage(
  db: Database,
  tenantId: string,
  contacts: readonly ProviderContact[],
  counts: { total: number; customers: number; suppliers: number; would_create: number; would_update: number },
): Promise<void> {
  const existing = contacts.length
    ? await db.selectFrom('contacts').select(['provider_contact_id', 'name', 'email', 'archived']).where('tenant_id', '=', tenantId).where('provider_contact_id', 'in', contacts.map((c) => c.id)).execute()
    : [];
  const known = new Map(existing.map((e) => [e.provider_contact_id, e]));
  for (const c of contacts) {
    counts.total++;
    if (c.isCustomer) counts.customers++;
    if (c.isSupplier) counts.suppliers++;
    const before = known.get(c.id);
    if (!before) counts.would_create++;
    else if (before.name !== c.name || before.email !== c.email || before.archived !== c.archived) counts.would_update++;
  }
}
