import { createHash } from 'node:crypto';
import * as v from 'valibot';
import type { ProviderEvent } from './provider-events.ts';

const LegacyEntity = v.object({ name: v.string(), id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)), operation: v.string(), lastUpdated: v.optional(v.string()) });
const LegacyBody = v.object({
  eventNotifications: v.array(v.object({ realmId: v.pipe(v.string(), v.minLength(1), v.maxLength(200)), dataChangeEvent: v.object({ entities: v.array(LegacyEntity) }) })),
});
const CloudEvent = v.object({
  id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  type: v.pipe(v.string(), v.regex(/^qbo\.[a-z]+\.[a-z]+\.v\d+$/i, 'must look like qbo.customer.updated.v1')),
  time: v.optional(v.string()),
  intuitentityid: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  intuitaccountid: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
});
export const QuickBooksWebhookBody = v.union([LegacyBody, v.array(CloudEvent)]);
export type QuickBooksWebhookBody = v.InferOutput<typeof QuickBooksWebhookBody>;

/** Which records Ledgerport imports (or reads back for payments) and so reads again when QuickBooks says they changed. */
function refreshFor(entity: string, id: string): ProviderEvent['refresh'] {
  switch (entity.toLowerCase()) {
    case 'customer':
      return { kind: 'contact', providerId: `customer:${id}` };
    case 'vendor':
      return { kind: 'contact', providerId: `vendor:${id}` };
    case 'purchaseorder':
      return { kind: 'purchase_order', providerId: id };
    case 'payment':
      return { kind: 'payment', providerId: id };
    case 'invoice':
      return { kind: 'invoice', providerId: id };
    default:
      return undefined;
  }
}

/** Both of Intuit's formats: the legacy eventNotifications object and the CloudEvents array (which may mix realms). */
export function fromQuickBooksEvents(body: QuickBooksWebhookBody): ProviderEvent[] {
  if (Array.isArray(body)) {
    return body.map((e) => {
      const [, entity = '', operation = ''] = e.type.split('.');
      const refresh = refreshFor(entity, e.intuitentityid);
      return { orgId: e.intuitaccountid, deliveryId: e.id, eventType: `${entity}.${operation}`, payload: e, ...(refresh ? { refresh } : {}) };
    });
  }
  return body.eventNotifications.flatMap((n) =>
    n.dataChangeEvent.entities.map((e) => {
      const refresh = refreshFor(e.name, e.id);
      return {
        orgId: n.realmId,
        deliveryId: createHash('sha256').update([n.realmId, e.name, e.id, e.operation, e.lastUpdated ?? ''].join('|')).digest('base64url'),
        eventType: `${e.name}.${e.operation}`,
        payload: { realmId: n.realmId, ...e },
        ...(refresh ? { refresh } : {}),
      };
    }),
  );
}
