import type { Tx } from '../db/database.ts';
import { appendEvent, appendEvents } from './append.ts';
import type { AppendedEvent, FeedEventType, NewFeedEvent } from './types.ts';

/**
 * appendEvent with the delivery decision taken once, from configuration: callers hold a
 * FeedWriter (built where their other dependencies are built) and never decide per call whether
 * webhooks are delivered. It is a plain object over config, cheap to create; no module state.
 */
export interface FeedWriter {
  /** Whether appends schedule outbound webhook delivery. */
  readonly delivers: boolean;
  appendEvent(tx: Tx, tenantId: string, type: FeedEventType, data: Record<string, unknown>): Promise<AppendedEvent>;
  appendEvents(tx: Tx, tenantId: string, events: readonly NewFeedEvent[]): Promise<AppendedEvent[]>;
}

export function createFeedWriter(platformWebhook: { readonly url?: string; readonly secret?: string }): FeedWriter {
  const opts = { deliver: Boolean(platformWebhook.url && platformWebhook.secret) };
  return {
    delivers: opts.deliver,
    appendEvent: (tx, tenantId, type, data) => appendEvent(tx, tenantId, type, data, opts),
    appendEvents: (tx, tenantId, events) => appendEvents(tx, tenantId, events, opts),
  };
}
