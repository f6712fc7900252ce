import { createHash } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import type { ProviderSession } from '../types.ts';
import type { Party } from '../party.ts';
import { batchRequestId, callQuickBooks, faultCode, faultMessages, qboLiteral, query, updateEntity, type QuickBooksClientDeps } from './client.ts';

interface QboPartyRecord {
  Id: string;
  SyncToken: string;
  DisplayName?: string;
  PrimaryEmailAddr?: { Address?: string };
}

// QuickBooks' IN lists and batches: 30 per request keeps both within its limits.
const LOOKUP_CHUNK = 30;
const chunks = <T>(items: T[], size: number) => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

export type QboPartyKind = 'customer' | 'vendor';
const ENTITY = { customer: 'Customer', vendor: 'Vendor' } as const;
// QuickBooks refuses a DisplayName used by any customer, vendor or employee (error 6240).
const DUPLICATE_NAME = '6240';

/** Contacts of both kinds share one id space in Ledgerport: "customer:58", "vendor:12". */
export const contactKey = (kind: QboPartyKind, id: string) => `${kind}:${id}`;
export const splitContactKey = (key: string): { kind: QboPartyKind; id: string } => {
  const [kind, id] = key.split(':');
  return { kind: kind === 'vendor' ? 'vendor' : 'customer', id: id ?? key };
};

/**
 * Finds the QuickBooks customer (sales) or vendor (bills) for each platform party: the stored
 * link, then email, then display name, else creates it with a requestid so a retried creation
 * replays instead of creating twice. (QuickBooks has no field to search by the platform's id;
 * the id is kept in the new record's notes.)
 */
export async function resolveQuickBooksParties(
  deps: QuickBooksClientDeps & { db: Database },
  session: ProviderSession,
  kind: QboPartyKind,
  parties: readonly Party[],
): Promise<{ ids: Map<string, string>; failures: Map<string, string> }> {
  const unique = [...new Map(parties.map((p) => [p.id, p])).values()];
  const ids = new Map<string, string>();
  const failures = new Map<string, string>();
  if (unique.length === 0) return { ids, failures };
  const links = await deps.db
    .selectFrom('contact_links')
    .select(['platform_contact_id', 'provider_contact_id'])
    .where('tenant_id', '=', session.tenantId)
    .where('provider', '=', 'quickbooks')
    .where('platform_contact_id', 'in', unique.map((p) => p.id))
    .execute();
  for (const link of links) {
    const key = splitContactKey(link.provider_contact_id);
    if (key.kind === kind) ids.set(link.platform_contact_id, key.id);
  }
  const entity = ENTITY[kind];
  const found: { party: Party; id: string; by: 'email' | 'name' | 'created' }[] = [];
  // Per chunk: one query by email, one by display name, one batch create for the rest, so a
  // batch of documents with new customers costs three calls, not three per customer.
  for (const group of chunks(unique.filter((p) => !ids.has(p.id)), LOOKUP_CHUNK)) {
    const emails = group.flatMap((p) => (p.email ? [p.email] : []));
    const byEmail = emails.length
      ? await query<QboPartyRecord>(deps, session, entity, `select * from ${entity} where PrimaryEmailAddr in (${emails.map(qboLiteral).join(', ')})`)
      : [];
    const byName = await query<QboPartyRecord>(deps, session, entity, `select * from ${entity} where DisplayName in (${group.map((p) => qboLiteral(p.name)).join(', ')})`);
    const toCreate: Party[] = [];
    for (const party of group) {
      const emailMatch = party.email ? byEmail.find((r) => r.PrimaryEmailAddr?.Address?.toLowerCase() === party.email!.toLowerCase()) : undefined;
      if (emailMatch) {
        found.push({ party, id: emailMatch.Id, by: 'email' });
        continue;
      }
      const named = byName.find((r) => r.DisplayName?.toLowerCase() === party.name.toLowerCase());
      if (!named) {
        toCreate.push(party);
        continue;
      }
      // Matched by name but QuickBooks has no email for it: fill it in (never overwrite one),
      // so invoices can be emailed from QuickBooks.
      const match = party.email && !named.PrimaryEmailAddr?.Address ? await updateEntity(deps, session, entity, named, { PrimaryEmailAddr: { Address: party.email } }) : named;
      found.push({ party, id: match.Id, by: 'name' });
    }
    for (const created of await createAll(deps, session, kind, toCreate, failures)) found.push({ ...created, by: 'created' });
  }
  for (const f of found) ids.set(f.party.id, f.id);

  if (found.length > 0) {
    await deps.db
      .insertInto('contact_links')
      .values(found.map((f) => ({ tenant_id: session.tenantId, provider: 'quickbooks' as const, platform_contact_id: f.party.id, provider_contact_id: contactKey(kind, f.id), matched_by: f.by })))
      .onConflict((oc) => oc.columns(['tenant_id', 'provider', 'platform_contact_id']).doUpdateSet((eb) => ({ provider_contact_id: eb.ref('excluded.provider_contact_id') })))
      .execute();
  }
  return { ids, failures };
}

/** Creates parties in one batch request; a display name taken by the other kind gets the kind added. */
async function createAll(deps: QuickBooksClientDeps, session: ProviderSession, kind: QboPartyKind, parties: readonly Party[], failures: Map<string, string>): Promise<{ party: Party; id: string }[]> {
  if (parties.length === 0) return [];
  const entity = ENTITY[kind];
  const send = async (items: { party: Party; name: string }[]) => {
    // Same parties, same names, same requestid: a retried creation replays instead of creating twice.
    const requestid = batchRequestId('lp-party-', `${session.tenantId}|${kind}|${items.map((i) => `${i.party.id}:${i.name}`).join('|')}`);
    const body = await callQuickBooks<{ BatchItemResponse?: ({ bId: string; Fault?: unknown } & Record<string, unknown>)[] }>(deps, session, `create ${entity}s`, {
      method: 'POST',
      path: 'batch',
      query: { requestid },
      body: {
        BatchItemRequest: items.map((item, index) => ({
          bId: String(index),
          operation: 'create',
          [entity]: { DisplayName: item.name, ...(item.party.email ? { PrimaryEmailAddr: { Address: item.party.email } } : {}), Notes: `ledgerport:${item.party.id}` },
        })),
      },
    });
    return new Map((body.BatchItemResponse ?? []).map((r) => [Number(r.bId), r]));
  };
  const created: { party: Party; id: string }[] = [];
  const retry: { party: Party; name: string }[] = [];
  const first = parties.map((party) => ({ party, name: party.name }));
  const answers = await send(first);
  first.forEach((item, index) => {
    const answer = answers.get(index);
    const record = answer?.[entity] as { Id?: string } | undefined;
    if (record?.Id) created.push({ party: item.party, id: record.Id });
    else if (faultCode(answer) === DUPLICATE_NAME) retry.push({ party: item.party, name: `${item.party.name} (${kind})` });
    else failures.set(item.party.id, `QuickBooks could not create the ${kind} "${item.party.name}": ${faultMessages(answer).map((m) => m.message).join('; ') || 'no answer'}`);
  });
  if (retry.length > 0) {
    const again = await send(retry);
    retry.forEach((item, index) => {
      const answer = again.get(index);
      const record = answer?.[entity] as { Id?: string } | undefined;
      if (record?.Id) created.push({ party: item.party, id: record.Id });
      else failures.set(item.party.id, `QuickBooks could not create the ${kind} "${item.party.name}": ${faultMessages(answer).map((m) => m.message).join('; ') || 'no answer'}`);
    });
  }
  return created;
}
