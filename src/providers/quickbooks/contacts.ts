import { createHash } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import { ProviderError, type ProviderSession } from '../types.ts';
import type { Party } from '../party.ts';
import { callQuickBooks, qboLiteral, query, updateEntity, type QuickBooksClientDeps } from './client.ts';

interface QboPartyRecord {
  Id: string;
  SyncToken: string;
  PrimaryEmailAddr?: { Address?: string };
}

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
  for (const party of unique.filter((p) => !ids.has(p.id))) {
    let match: { Id: string } | undefined;
    let by: 'email' | 'name' | 'created' = 'email';
    if (party.email) [match] = await query<{ Id: string }>(deps, session, entity, `select * from ${entity} where PrimaryEmailAddr = ${qboLiteral(party.email)}`);
    if (!match) {
      by = 'name';
      const [named] = await query<QboPartyRecord>(deps, session, entity, `select * from ${entity} where DisplayName = ${qboLiteral(party.name)}`);
      // Matched by name but QuickBooks has no email for it: fill it in (never overwrite one),
      // so invoices can be emailed from QuickBooks.
      match = named && party.email && !named.PrimaryEmailAddr?.Address
        ? await updateEntity(deps, session, entity, named, { PrimaryEmailAddr: { Address: party.email } })
        : named;
    }
    if (!match) {
      by = 'created';
      match = await create(deps, session, kind, party).catch((error: unknown) => {
        if (error instanceof ProviderError && error.kind === 'validation') {
          failures.set(party.id, `QuickBooks could not create the ${kind} "${party.name}": ${error.details.map((d) => d.message).join('; ') || error.message}`);
          return undefined;
        }
        throw error;
      });
    }
    if (match) {
      ids.set(party.id, match.Id);
      found.push({ party, id: match.Id, by });
    }
  }
  if (found.length > 0) {
    await deps.db
      .insertInto('contact_links')
      .values(found.map((f) => ({ tenant_id: session.tenantId, provider: 'quickbooks' as const, platform_contact_id: f.party.id, provider_contact_id: contactKey(kind, f.id), matched_by: f.by })))
      .onConflict((oc) => oc.columns(['tenant_id', 'provider', 'platform_contact_id']).doUpdateSet((eb) => ({ provider_contact_id: eb.ref('excluded.provider_contact_id') })))
      .execute();
  }
  return { ids, failures };
}

async function create(deps: QuickBooksClientDeps, session: ProviderSession, kind: QboPartyKind, party: Party): Promise<{ Id: string }> {
  const entity = ENTITY[kind];
  const attempt = async (displayName: string) => {
    const requestid = `lp-${createHash('sha256').update(`${session.tenantId}|${kind}|${party.id}|${displayName}`).digest('base64url').slice(0, 40)}`;
    const body = await callQuickBooks<Record<string, { Id: string }>>(deps, session, `create ${entity}`, {
      method: 'POST',
      path: kind,
      query: { requestid },
      body: { DisplayName: displayName, ...(party.email ? { PrimaryEmailAddr: { Address: party.email } } : {}), Notes: `ledgerport:${party.id}` },
    });
    return body[entity]!;
  };
  try {
    return await attempt(party.name);
  } catch (error) {
    // The name is taken by a record of the other kind: keep it recognisable, make it unique.
    if (error instanceof ProviderError && error.kind === 'validation' && error.code === DUPLICATE_NAME) {
      return attempt(`${party.name} (${kind})`);
    }
    throw error;
  }
}
