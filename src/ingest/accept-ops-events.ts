import { sql } from 'kysely';
import type { Database, Tx } from '../db/database.ts';
import type { DocumentStatus } from '../db/schema.ts';
import { addJobs, type JobSpec } from '../jobs.ts';
import { canTransition } from '../sync/lifecycle.ts';
import type { DocumentInput } from './ops-envelope.ts';

/** One verified, validated ops webhook delivery. */
export interface OpsEvent {
  readonly deliveryId: string;
  readonly tenantId: string;
  readonly type: string;
  readonly payload: unknown;
  /** Absent for event types we do not handle: recorded as ignored. */
  readonly document: DocumentInput | undefined;
}

export type AcceptOutcome =
  | { readonly kind: 'accepted'; readonly documentId: string; readonly status: DocumentStatus }
  /** The delivery was seen before; `documentId` is what it created, so a lost 202 can be recovered. */
  | { readonly kind: 'duplicate'; readonly documentId: string | null }
  | { readonly kind: 'ignored'; readonly reason: string };

interface DocState {
  id: string;
  status: DocumentStatus;
  version: number;
  isNew: boolean;
  changed: boolean;
  event: OpsEvent;
}

const keyOf = (tenantId: string, d: DocumentInput) => `${tenantId}\u0000${d.kind}\u0000${d.sourceId}`;

/**
 * Records a batch of deliveries in one transaction: dedupe by webhook-id, upsert tenants and
 * documents (a newer version replaces the snapshot, an older or equal one never regresses it),
 * record history and enqueue one routing job per document that needs routing. Set-based, so a
 * batch costs a handful of statements whatever its size.
 */
export async function acceptOpsEvents(db: Database, events: readonly OpsEvent[]): Promise<AcceptOutcome[]> {
  return db.transaction().execute(async (tx) => {
    const inserted = await tx
      .insertInto('inbound_events')
      .values(
        events.map((e) => ({
          source: 'ops' as const,
          delivery_id: e.deliveryId,
          tenant_id: e.tenantId,
          event_type: e.type,
          outcome: e.document ? ('accepted' as const) : ('ignored' as const),
          outcome_reason: e.document ? null : 'unsupported_event_type',
          payload: JSON.stringify(e.payload),
        })),
      )
      .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
      .returning(['id', 'delivery_id'])
      .execute();
    const inboundIdByDelivery = new Map(inserted.map((row) => [row.delivery_id, row.id]));
    // The same delivery twice in one batch: only its first occurrence is fresh.
    const fresh = new Set<OpsEvent>();
    const seen = new Set<string>();
    for (const e of events) {
      if (inboundIdByDelivery.has(e.deliveryId) && !seen.has(e.deliveryId)) fresh.add(e);
      seen.add(e.deliveryId);
    }
    const withDocuments = events.filter((e) => fresh.has(e) && e.document);

    const states = await upsertDocuments(tx, withDocuments);

    const toRoute = [...new Set([...states.values()].filter((s) => s.changed && s.status === 'received'))];
    const jobs: JobSpec[] = toRoute.map((s) => ({
      task: 'route_document',
      payload: { document_id: s.id },
      jobKey: `route_document:${s.id}`,
    }));
    await addJobs(tx, jobs);

    const duplicateIds = [...new Set(events.filter((e) => !fresh.has(e)).map((e) => e.deliveryId))];
    const earlier =
      duplicateIds.length === 0
        ? []
        : await tx
            .selectFrom('inbound_events')
            .select(['delivery_id', 'document_id'])
            .where('source', '=', 'ops')
            .where('delivery_id', 'in', duplicateIds)
            .execute();
    const earlierDocument = new Map(earlier.map((row) => [row.delivery_id, row.document_id]));

    return events.map((e): AcceptOutcome => {
      if (!fresh.has(e)) return { kind: 'duplicate', documentId: earlierDocument.get(e.deliveryId) ?? null };
      if (!e.document) return { kind: 'ignored', reason: 'unsupported_event_type' };
      const state = states.get(keyOf(e.tenantId, e.document));
      if (!state) throw new Error(`document state missing for delivery ${e.deliveryId}`);
      return { kind: 'accepted', documentId: state.id, status: state.status };
    });

    async function upsertDocuments(tx: Tx, accepted: OpsEvent[]): Promise<Map<string, DocState>> {
      const states = new Map<string, DocState>();
      if (accepted.length === 0) return states;
      const tenantIds = [...new Set(accepted.map((e) => e.tenantId))];
      await tx
        .insertInto('tenants')
        .values(tenantIds.map((id) => ({ id })))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();

      // Lock the existing documents of this batch so concurrent batches apply versions in turn.
      const keys = accepted.map((e) => [e.tenantId, e.document!.kind, e.document!.sourceId] as const);
      const existing = await tx
        .selectFrom('documents')
        .select(['id', 'tenant_id', 'kind', 'source_id', 'status', 'source_version'])
        .where((eb) =>
          eb.or(
            keys.map(([tenantId, kind, sourceId]) =>
              eb.and([eb('tenant_id', '=', tenantId), eb('kind', '=', kind), eb('source_id', '=', sourceId)]),
            ),
          ),
        )
        .orderBy('id')
        .forUpdate()
        .execute();
      const existingByKey = new Map(existing.map((d) => [`${d.tenant_id}\u0000${d.kind}\u0000${d.source_id}`, d]));

      // Fold the batch per document: the highest version wins, in arrival order.
      for (const e of accepted) {
        const d = e.document!;
        const key = keyOf(e.tenantId, d);
        const current = states.get(key);
        if (current) {
          if (d.version > current.version) Object.assign(current, { version: d.version, changed: true, event: e });
          continue;
        }
        const row = existingByKey.get(key);
        if (!row) {
          states.set(key, { id: '', status: 'received', version: d.version, isNew: true, changed: true, event: e });
        } else {
          const newer = d.version > row.source_version;
          states.set(key, { id: row.id, status: row.status, version: newer ? d.version : row.source_version, isNew: false, changed: newer, event: e });
        }
      }

      const created = [...states.values()].filter((s) => s.isNew);
      if (created.length > 0) {
        const rows = await tx
          .insertInto('documents')
          .values(
            created.map((s) => ({
              tenant_id: s.event.tenantId,
              kind: s.event.document!.kind,
              source_id: s.event.document!.sourceId,
              source_version: s.version,
              source_event_type: s.event.type,
              source: JSON.stringify(s.event.document!.source),
              status: 'received' as const,
            })),
          )
          .returning(['id', 'tenant_id', 'kind', 'source_id'])
          .execute();
        for (const row of rows) states.get(`${row.tenant_id}\u0000${row.kind}\u0000${row.source_id}`)!.id = row.id;
      }

      const updated = [...states.values()].filter((s) => !s.isNew && s.changed);
      const history: { document_id: string; from_status: DocumentStatus | null; to_status: DocumentStatus; reason: string; source_version: number; inbound_event_id: string }[] = [];
      for (const s of updated) {
        // A held or failed document is routed again with the corrected content.
        const next: DocumentStatus = canTransition(s.status, 'received') ? 'received' : s.status;
        history.push({
          document_id: s.id,
          from_status: s.status,
          to_status: next,
          reason: next === s.status ? `version ${s.version} received` : `version ${s.version} received; routing again`,
          source_version: s.version,
          inbound_event_id: inboundIdByDelivery.get(s.event.deliveryId)!,
        });
        s.status = next;
      }
      if (updated.length > 0) {
        const values = updated.map((s) => ({
          id: s.id,
          version: s.version,
          event_type: s.event.type,
          source: s.event.document!.source,
          status: s.status,
        }));
        await sql`update documents d set
            source_version = u.version, source_event_type = u.event_type, source = u.source,
            status = u.status,
            status_reason = case when d.status = u.status then d.status_reason else null end,
            updated_at = now()
          from jsonb_to_recordset(${JSON.stringify(values)}::jsonb)
            as u(id uuid, version integer, event_type text, source jsonb, status text)
          where d.id = u.id`.execute(tx);
      }
      for (const s of created) {
        history.push({
          document_id: s.id,
          from_status: null,
          to_status: 'received',
          reason: `version ${s.version} received (${s.event.type})`,
          source_version: s.version,
          inbound_event_id: inboundIdByDelivery.get(s.event.deliveryId)!,
        });
      }
      if (history.length > 0) await tx.insertInto('document_events').values(history).execute();

      // Link each fresh delivery to its document for the audit trail.
      const links = accepted.map((e) => ({ id: inboundIdByDelivery.get(e.deliveryId)!, document_id: states.get(keyOf(e.tenantId, e.document!))!.id }));
      await sql`update inbound_events i set document_id = l.document_id
          from jsonb_to_recordset(${JSON.stringify(links)}::jsonb) as l(id bigint, document_id uuid)
          where i.id = l.id`.execute(tx);
      return states;
    }
  });
}
