import { signWebhook } from '../security/standard-webhooks.ts';
import type { FeedEvent } from './types.ts';

/**
 * One event as a Standard Webhooks message: body `{type, timestamp, data}` with the event as
 * `data`; `webhook-id` is the event id, the same on every retry, so the platform can dedupe.
 */
export function outboundWebhook(event: FeedEvent, secret: string, now: Date): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ type: event.type, timestamp: event.occurred_at, data: event });
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Ledgerport-Webhooks/1',
      'webhook-id': event.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secret, event.id, timestamp, body),
    },
  };
}
