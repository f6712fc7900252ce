import { sql } from 'kysely';
import type { Database, Tx } from '../../db/database.ts';

export type BatchReadiness =
  | { readonly kind: 'empty' }
  | { readonly kind: 'ready'; readonly why: 'full' | 'waited' | 'quiet' }
  /** Part-full while more documents are on their way: look again at `until` at the latest. */
  | { readonly kind: 'gathering'; readonly until: Date; readonly queued: number; readonly why: 'routing' | 'streaming' };

export interface GatherPolicy {
  /** A provider request's most documents. */
  readonly full: number;
  /** PUSH_DEBOUNCE_MS: the longest a queued document waits for others to fill its batch. */
  readonly debounceMs: number;
  /** PUSH_QUIET_MS: a tenant with no batch for this long is not in a burst; its documents go at once. */
  readonly quietMs: number;
}

/**
 * Whether a tenant's next batch should go now. A part-full batch waits (up to debounceMs from
 * its oldest document) while more documents are on their way: the tenant has documents still
 * being routed (a backlog, e.g. a month-end burst), or it sent a batch less than quietMs ago (a
 * steady stream). Otherwise it goes at once, so a document that arrives on its own sees no
 * debounce; the first document of a burst therefore goes alone, one extra request per burst.
 * Routing brings the push forward once a batch is full or the backlog is routed
 * (route-document.ts), so the wait is rarely the whole debounce.
 */
export async function batchReadiness(db: Database | Tx, tenantId: string, policy: GatherPolicy, now: Date): Promise<BatchReadiness> {
  const { rows } = await sql<{ queued: number; oldest: Date | null; routing: boolean; last_batch: Date | null }>`
    select count(*)::int as queued, min(q.updated_at) as oldest,
           exists (select 1 from documents where tenant_id = ${tenantId} and status = 'received') as routing,
           (select max(created_at) from push_batches where tenant_id = ${tenantId}) as last_batch
      from (select updated_at from documents where tenant_id = ${tenantId} and status = 'queued' order by seq limit ${policy.full}) q`.execute(db);
  const row = rows[0];
  if (!row || row.queued === 0 || !row.oldest) return { kind: 'empty' };
  if (row.queued >= policy.full) return { kind: 'ready', why: 'full' };
  if (now.getTime() - row.oldest.getTime() >= policy.debounceMs) return { kind: 'ready', why: 'waited' };
  const until = new Date(row.oldest.getTime() + policy.debounceMs);
  if (row.routing) return { kind: 'gathering', until, queued: row.queued, why: 'routing' };
  if (row.last_batch && now.getTime() - row.last_batch.getTime() < policy.quietMs) return { kind: 'gathering', until, queued: row.queued, why: 'streaming' };
  return { kind: 'ready', why: 'quiet' };
}
