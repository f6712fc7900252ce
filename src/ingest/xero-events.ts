import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import * as v from 'valibot';
import type { Database } from '../db/database.ts';
import { addJobs, type JobSpec } from '../jobs.ts';

/** Xero's webhook payload (xero-webhooks.yaml). */
const XeroEvent = v.object({
  resourceUrl: v.optional(v.string()),
  resourceId: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  eventDateUtc: v.string(),
  eventType: v.string(),
  eventCategory: v.string(),
  tenantId: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  tenantType: v.optional(v.string()),
});
export const XeroWebhookBody = v.object({
  events: v.array(XeroEvent),
  firstEventSequence: v.optional(v.number()),
  lastEventSequence: v.optional(v.number()),
  entropy: v.optional(v.string()),
});
export type XeroWebhookEvent = v.InferOutput<typeof XeroEvent>;

/** x-xero-signature: base64(HMAC-SHA256(raw body, webhook key)), compared in constant time. */
export function verifyXeroSignature(key: string, body: Uint8Array, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = createHmac('sha256', key).update(body).digest();
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface XeroEventOutcome {
  readonly recorded: number;
  readonly duplicates: number;
  readonly unknownOrganisation: number;
  readonly refreshes: number;
}

/**
 * Records Xero's events (deduplicated: Xero may send an event more than once) and queues a
 * refresh for each changed contact, all in one transaction, so the answer to Xero is fast and
 * nothing acknowledged is lost. INVOICE and CREDITNOTE events are recorded for the payment flows
 * to come; events for an organisation no tenant is connected to are acknowledged and recorded as
 * ignored.
 */
export async function acceptXeroEvents(db: Database, events: readonly XeroWebhookEvent[]): Promise<XeroEventOutcome> {
  const outcome = { recorded: 0, duplicates: 0, unknownOrganisation: 0, refreshes: 0 };
  if (events.length === 0) return outcome;
  return db.transaction().execute(async (tx) => {
    const orgIds = [...new Set(events.map((e) => e.tenantId))];
    const connections = await tx
      .selectFrom('connections')
      .select(['tenant_id', 'provider_org_id'])
      .where('provider', '=', 'xero')
      .where('status', 'in', ['connected', 'needs_reauth'])
      .where('provider_org_id', 'in', orgIds)
      .execute();
    const tenantOf = new Map(connections.map((c) => [c.provider_org_id, c.tenant_id]));
    const jobs: JobSpec[] = [];
    for (const e of events) {
      const deliveryId = createHash('sha256').update([e.tenantId, e.eventCategory, e.eventType, e.resourceId, e.eventDateUtc].join('|')).digest('base64url');
      const tenantId = tenantOf.get(e.tenantId) ?? null;
      const reason = !tenantId ? 'unknown_organisation' : e.eventCategory === 'CONTACT' ? 'refresh_queued' : 'recorded_for_payment_flows';
      const inserted = await tx
        .insertInto('inbound_events')
        .values({ source: 'xero', delivery_id: deliveryId, tenant_id: tenantId, event_type: `${e.eventCategory}.${e.eventType}`, outcome: tenantId ? 'accepted' : 'ignored', outcome_reason: reason, payload: JSON.stringify(e) })
        .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) {
        outcome.duplicates++;
        continue;
      }
      outcome.recorded++;
      if (!tenantId) {
        outcome.unknownOrganisation++;
        continue;
      }
      if (e.eventCategory === 'CONTACT') {
        outcome.refreshes++;
        jobs.push({ task: 'refresh_record', payload: { tenant_id: tenantId, kind: 'contact', provider_id: e.resourceId }, jobKey: `refresh_record:${tenantId}:contact:${e.resourceId}` });
      }
    }
    await addJobs(tx, jobs);
    return outcome;
  });
}
