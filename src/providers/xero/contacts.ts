import { createHash } from 'node:crypto';
import type { Contact } from 'xero-node';
import type { Database } from '../../db/database.ts';
import type { ProviderSession } from '../types.ts';
import { callXero, type XeroClientDeps } from './client.ts';
import type { Party } from '../party.ts';

type MatchedBy = 'contact_number' | 'email' | 'name' | 'created';

// Keeps a `where` filter (and its URL) well within what Xero accepts.
const LOOKUP_CHUNK = 20;

const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const chunks = <T>(items: T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/**
 * Finds the Xero contact for each platform party, in the order users expect: the stored link,
 * then the platform's id as ContactNumber, then email, then exact name, else creates it (with the
 * platform id as ContactNumber, so the next lookup finds it). Lookups are batched with OR filters
 * so a batch of 50 invoices costs a few calls, not one per customer; links are stored.
 */
export async function resolveXeroContacts(
  deps: XeroClientDeps & { db: Database },
  session: ProviderSession,
  parties: readonly Party[],
): Promise<{ contactIds: Map<string, string>; failures: Map<string, string> }> {
  const unique = [...new Map(parties.map((p) => [p.id, p])).values()];
  const resolved = new Map<string, string>();
  const failures = new Map<string, string>();
  if (unique.length === 0) return { contactIds: resolved, failures };
  const links = await deps.db
    .selectFrom('contact_links')
    .select(['platform_contact_id', 'provider_contact_id'])
    .where('tenant_id', '=', session.tenantId)
    .where('provider', '=', 'xero')
    .where('platform_contact_id', 'in', unique.map((p) => p.id))
    .execute();
  for (const link of links) resolved.set(link.platform_contact_id, link.provider_contact_id);

  const found: { party: Party; contactId: string; by: MatchedBy }[] = [];
  const pending = () => unique.filter((p) => !resolved.has(p.id));
  // One filter per chunk asks for all three ways to match at once (fewer calls against Xero's
  // 60 a minute); each party then takes the best match: number, else email, else name.
  for (const group of chunks(pending(), LOOKUP_CHUNK)) {
    const terms = group.flatMap((p) => [
      `ContactNumber==${quote(p.id)}`,
      ...(p.email ? [`EmailAddress==${quote(p.email)}`] : []),
      `Name==${quote(p.name)}`,
    ]);
    const body = await callXero(deps, session, 'getContacts', (api, orgId) => api.getContacts(orgId, undefined, terms.join(' OR ')));
    const contacts = body.contacts ?? [];
    const first = (key: (c: Contact) => string | undefined, value: string | undefined) =>
      value ? contacts.find((c) => c.contactID && key(c)?.toLowerCase() === value.toLowerCase())?.contactID : undefined;
    for (const party of group) {
      const match: [MatchedBy, string | undefined][] = [
        ['contact_number', first((c) => c.contactNumber, party.id)],
        ['email', first((c) => c.emailAddress, party.email)],
        ['name', first((c) => c.name, party.name)],
      ];
      const [by, contactId] = match.find(([, id]) => id) ?? [];
      if (by && contactId) {
        resolved.set(party.id, contactId);
        found.push({ party, contactId, by });
      }
    }
  }

  const toCreate = pending();
  if (toCreate.length > 0) {
    // Same parties, same key: a retried creation replays instead of creating twice.
    const key = `lp-contacts-${createHash('sha256').update(`${session.tenantId}|${toCreate.map((p) => p.id).sort().join('|')}`).digest('base64url').slice(0, 32)}`;
    const body = await callXero(deps, session, 'createContacts', (api, orgId) =>
      api.createContacts(
        orgId,
        { contacts: toCreate.map((p) => ({ name: p.name, contactNumber: p.id, ...(p.email ? { emailAddress: p.email } : {}) })) },
        false,
        key,
      ),
    );
    (body.contacts ?? []).forEach((contact, index) => {
      const party = toCreate[index];
      if (!party) return;
      if (contact.contactID && !contact.hasValidationErrors) {
        resolved.set(party.id, contact.contactID);
        found.push({ party, contactId: contact.contactID, by: 'created' });
      } else {
        const messages = (contact.validationErrors ?? []).map((v) => v.message).filter(Boolean);
        failures.set(party.id, `Xero could not create the contact "${party.name}": ${messages.join('; ') || 'no reason given'}`);
      }
    });
  }

  if (found.length > 0) {
    await deps.db
      .insertInto('contact_links')
      .values(found.map((f) => ({ tenant_id: session.tenantId, provider: 'xero' as const, platform_contact_id: f.party.id, provider_contact_id: f.contactId, matched_by: f.by })))
      .onConflict((oc) => oc.columns(['tenant_id', 'provider', 'platform_contact_id']).doNothing())
      .execute();
  }
  return { contactIds: resolved, failures };
}
