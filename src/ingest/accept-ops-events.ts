import { sql } from 'kysely';
import type { Database } from '../db/database.ts';
import type { DocumentStatus } from '../db/schema.ts';
import { canTransition, STATUSES } from '../documents/lifecycle.ts';
import type { DocumentInput } from './ops-envelope.ts';

/** One verified, validated ops webhook delivery. */
export interface OpsEvent {
  readonly deliveryId: string;
  readonly tenantId: string;
  readonly type: string;
  /** The delivery's body as received: valid JSON, stored as sent without being serialised again. */
  readonly payloadJson: string;
  /** Absent for event types we do not handle: recorded as ignored. */
  readonly document: DocumentInput | undefined;
  /** The webhook request's W3C trace context, handed to its route_document job (sql/0012). */
  readonly traceparent?: string;
}

export type AcceptOutcome =
  | { readonly kind: 'accepted'; readonly documentId: string; readonly status: DocumentStatus }
  /** The delivery was seen before; `documentId` is what it created, so a lost 202 can be recovered. */
  | { readonly kind: 'duplicate'; readonly documentId: string | null }
  | { readonly kind: 'ignored'; readonly reason: string };

/** The function's `events` argument, with each payload spliced in as received. */
function batchJson(events: readonly OpsEvent[]): string {
  return `[${events
    .map((e) => {
      const fields = JSON.stringify({
        delivery_id: e.deliveryId,
        tenant_id: e.tenantId,
        type: e.type,
        ...(e.document ? { kind: e.document.kind, source_id: e.document.sourceId, version: e.document.version, source: e.document.source } : {}),
        ...(e.traceparent ? { traceparent: e.traceparent } : {}),
      });
      return `${fields.slice(0, -1)},"payload":${e.payloadJson}}`;
    })
    .join(',')}]`;
}

/** Statuses a newer source version sends back to routing; the rule lives in lifecycle.ts. */
const REROUTE_FROM = STATUSES.filter((status) => status !== 'received' && canTransition(status, 'received'));

/**
 * What a race with a concurrent batch looks like: sql/0007's own 40001 (a delivery or document
 * that batch wrote after this statement began), a deadlock, or a unique key it took meanwhile.
 * Each passes once the other batch has committed, because a new statement sees its rows.
 */
const RACE_CODES = new Set(['40001', '40P01', '23505']);
const RACE_ATTEMPTS = 3;

/**
 * Records a batch of deliveries with one call of the `accept_ops_events` SQL function (sql/0007):
 * one round trip and one commit for the whole batch, so ingress is not capped by per-request
 * commits. Dedupe by webhook-id; a newer version replaces the snapshot, an older or equal one
 * never regresses it; documents to route get one job each in the same commit. A batch that lost
 * a race with another is written again (outside a caller's transaction), up to three times.
 */
export async function acceptOpsEvents(
  db: Database,
  events: readonly OpsEvent[],
  opts: { onRace?: (error: unknown, attempt: number) => void } = {},
): Promise<AcceptOutcome[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await acceptOnce(db, events);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (db.isTransaction || attempt >= RACE_ATTEMPTS || typeof code !== 'string' || !RACE_CODES.has(code)) throw error;
      opts.onRace?.(error, attempt);
    }
  }
}

async function acceptOnce(db: Database, events: readonly OpsEvent[]): Promise<AcceptOutcome[]> {
  const { rows } = await sql<{ idx: number; outcome: 'accepted' | 'duplicate' | 'ignored'; document_id: string | null; status: DocumentStatus | null }>`
    select idx, outcome, document_id, status from accept_ops_events(${batchJson(events)}::jsonb, ${REROUTE_FROM}::text[])`.execute(db);
  const outcomes: AcceptOutcome[] = new Array(events.length);
  for (const row of rows) {
    outcomes[row.idx] =
      row.outcome === 'accepted'
        ? { kind: 'accepted', documentId: row.document_id!, status: row.status! }
        : row.outcome === 'duplicate'
          ? { kind: 'duplicate', documentId: row.document_id }
          : { kind: 'ignored', reason: 'unsupported_event_type' };
  }
  if (outcomes.some((o) => o === undefined)) throw new Error('accept_ops_events returned fewer rows than events');
  return outcomes;
}
