import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import * as v from 'valibot';
import type { ProviderEvent } from './provider-events.ts';

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

/** base64(HMAC-SHA256(raw body, key)) compared in constant time: Xero's and Intuit's scheme. */
export function verifyHmacSignature(key: string, body: Uint8Array, signature: string | undefined): boolean {
  if (!signature) return false;
  const expected = createHmac('sha256', key).update(body).digest();
  const given = Buffer.from(signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Xero sends no event id: an event is identified by what it says. CONTACT events refresh the contact, INVOICE events the invoice's payments. */
export function fromXeroEvents(events: readonly XeroWebhookEvent[]): ProviderEvent[] {
  return events.map((e) => ({
    orgId: e.tenantId,
    deliveryId: createHash('sha256').update([e.tenantId, e.eventCategory, e.eventType, e.resourceId, e.eventDateUtc].join('|')).digest('base64url'),
    eventType: `${e.eventCategory}.${e.eventType}`,
    payload: e,
    ...(e.eventCategory === 'CONTACT' ? { refresh: { kind: 'contact' as const, providerId: e.resourceId } } : {}),
    // A payment or credit allocation changes the invoice: its payments are read back.
    ...(e.eventCategory === 'INVOICE' ? { refresh: { kind: 'invoice' as const, providerId: e.resourceId } } : {}),
  }));
}
