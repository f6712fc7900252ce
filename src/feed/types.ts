import type { Selectable } from 'kysely';
import type { OutboundEventsTable } from '../db/schema.ts';

/** Every state change the platform is told about, on the feed and as outbound webhooks. */
export const FEED_EVENT_TYPES = [
  'document.synced',
  'document.failed',
  'document.needs_attention',
  'document.voided',
  'payment.received',
  'payment.removed',
  'contact.imported',
  'contact.changed',
  'purchase_order.imported',
  'purchase_order.closed',
  'connection.needs_reauth',
  'sync_run.finished',
] as const;

export type FeedEventType = (typeof FEED_EVENT_TYPES)[number];

export interface NewFeedEvent {
  readonly type: FeedEventType;
  readonly data: Record<string, unknown>;
}

export interface AppendedEvent {
  readonly id: string;
  readonly seq: number;
}

export type OutboundEventRow = Selectable<OutboundEventsTable>;

/** One event as the API returns it and as the `data` of its outbound webhook. */
export interface FeedEvent {
  readonly id: string;
  readonly tenant_id: string;
  readonly seq: number;
  readonly type: string;
  readonly occurred_at: string;
  readonly data: Record<string, unknown>;
}

export function toFeedEvent(row: Pick<OutboundEventRow, 'id' | 'tenant_id' | 'seq' | 'type' | 'created_at' | 'data'>): FeedEvent {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    seq: Number(row.seq),
    type: row.type,
    occurred_at: row.created_at.toISOString(),
    data: row.data,
  };
}
