import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptOpsEvents, type AcceptOutcome, type OpsEvent } from '../src/ingest/accept-ops-events.ts';
import pino from 'pino';
import { createDatabase } from '../src/db/database.ts';
import { GroupCommitter } from '../src/ingest/group-commit.ts';
import { parseOpsEnvelope } from '../src/ingest/ops-envelope.ts';
import { createTestDatabase } from './helpers/db.ts';
import { waitFor } from './helpers/wait.ts';
import { shippedInvoice, startHarness, type Harness } from './helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

function opsEvent(tenantId: string, id: string, opts: { version?: number; type?: string; deliveryId?: string } = {}): OpsEvent {
  const payload = shippedInvoice({ tenantId: 'placeholder', id, version: opts.version ?? 1 });
  const parsed = parseOpsEnvelope(opts.type ? { ...payload, type: opts.type } : payload);
  if (!parsed.ok) throw new Error('fixture invalid');
  const deliveryId = opts.deliveryId ?? `msg_${tenantId.slice(0, 20)}_${id}_v${opts.version ?? 1}`;
  return { deliveryId, tenantId, type: parsed.type, payloadJson: JSON.stringify(payload), document: parsed.document };
}

async function documentState(tenantId: string, sourceId: string) {
  const doc = await h.database.db
    .selectFrom('documents')
    .select(['id', 'status', 'status_reason', 'source_version'])
    .where('tenant_id', '=', tenantId)
    .where('source_id', '=', sourceId)
    .executeTakeFirstOrThrow();
  const history = await h.database.db.selectFrom('document_events').select(['from_status', 'to_status', 'reason']).where('document_id', '=', doc.id).orderBy('id').execute();
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs where payload->>'document_id' = ${doc.id}`.execute(h.database.db);
  return { ...doc, history, jobs: rows[0]!.n };
}

/** One batch mixing every outcome, written by the set-based statement or, with `sameDocumentTwice`, by the event-by-event fallback. */
async function mixedBatch(tenantId: string, sameDocumentTwice: boolean) {
  const db = h.database.db;
  await acceptOpsEvents(db, [opsEvent(tenantId, 'inv_failed'), opsEvent(tenantId, 'inv_synced'), opsEvent(tenantId, 'inv_seen', { deliveryId: `msg_${tenantId}_seen` })]);
  // As if the worker had been at them: one failed, one synced.
  await db.updateTable('documents').set({ status: 'failed', status_reason: 'rejected by Xero' }).where('tenant_id', '=', tenantId).where('source_id', '=', 'inv_failed').execute();
  await db.updateTable('documents').set({ status: 'synced' }).where('tenant_id', '=', tenantId).where('source_id', '=', 'inv_synced').execute();
  const batch = [
    opsEvent(tenantId, 'inv_new'),
    opsEvent(tenantId, 'inv_failed', { version: 2 }),
    opsEvent(tenantId, 'inv_synced', { version: 1, deliveryId: `msg_${tenantId}_synced_again` }),
    opsEvent(tenantId, 'inv_other', { deliveryId: `msg_${tenantId}_seen` }),
    opsEvent(tenantId, 'inv_ignored', { type: 'sales_order.cancelled' }),
    ...(sameDocumentTwice ? [opsEvent(tenantId, 'inv_new', { version: 2 })] : []),
  ];
  return acceptOpsEvents(db, batch);
}

describe('accept_ops_events: one batch, every outcome', () => {
  for (const [label, sameDocumentTwice] of [['set-based statement', false], ['event-by-event fallback', true]] as const) {
    it(`gives each event its own outcome (${label})`, async () => {
      const tenantId = sameDocumentTwice ? 'org_mixed_loop' : 'org_mixed_set';
      const outcomes = await mixedBatch(tenantId, sameDocumentTwice);
      const failed = await documentState(tenantId, 'inv_failed');
      const synced = await documentState(tenantId, 'inv_synced');
      const created = await documentState(tenantId, 'inv_new');
      const seen = await documentState(tenantId, 'inv_seen');

      expect(outcomes[0]).toEqual({ kind: 'accepted', documentId: created.id, status: 'received' });
      // A newer version of a failed document goes back to routing, its old reason cleared.
      expect(outcomes[1]).toEqual({ kind: 'accepted', documentId: failed.id, status: 'received' });
      expect(failed).toMatchObject({ status: 'received', status_reason: null, source_version: 2, jobs: 2 });
      expect(failed.history.map((e) => [e.from_status, e.to_status, e.reason])).toEqual([
        [null, 'received', 'version 1 received (sales_order.shipped)'],
        ['failed', 'received', 'version 2 received; routing again'],
      ]);
      // An equal version never regresses or re-routes a synced document.
      expect(outcomes[2]).toEqual({ kind: 'accepted', documentId: synced.id, status: 'synced' });
      expect(synced).toMatchObject({ status: 'synced', source_version: 1, jobs: 1 });
      expect(synced.history).toHaveLength(1);
      // A webhook-id seen before is a duplicate pointing at what it created, whatever its body says.
      expect(outcomes[3]).toEqual({ kind: 'duplicate', documentId: seen.id });
      expect(outcomes[4]).toEqual({ kind: 'ignored', reason: 'unsupported_event_type' });
      if (sameDocumentTwice) {
        expect(outcomes[5]).toEqual({ kind: 'accepted', documentId: created.id, status: 'received' });
        expect(created).toMatchObject({ source_version: 2 });
        expect(created.history.map((e) => e.reason)).toEqual(['version 1 received (sales_order.shipped)', 'version 2 received']);
      } else {
        expect(created).toMatchObject({ status: 'received', source_version: 1, jobs: 1 });
        expect(created.history.map((e) => e.reason)).toEqual(['version 1 received (sales_order.shipped)']);
      }

      const inbound = await h.database.db.selectFrom('inbound_events').select(['delivery_id', 'outcome', 'outcome_reason', 'document_id']).where('tenant_id', '=', tenantId).execute();
      expect(inbound.filter((e) => e.delivery_id === `msg_${tenantId}_seen`)).toHaveLength(1);
      expect(inbound.find((e) => e.outcome === 'ignored')).toMatchObject({ outcome_reason: 'unsupported_event_type', document_id: null });
      expect(await h.database.db.selectFrom('documents').select('id').where('tenant_id', '=', tenantId).where('source_id', '=', 'inv_other').execute()).toEqual([]);
    });
  }
});

describe('group commit', () => {
  it('batches concurrent submissions into few transactions', async () => {
    const batchSizes: number[] = [];
    const committer = new GroupCommitter<OpsEvent, AcceptOutcome>({
      write: (events) => {
        batchSizes.push(events.length);
        return acceptOpsEvents(h.database.db, events);
      },
      maxBatch: 50,
      maxInFlight: 1,
    });
    const outcomes = await Promise.all(Array.from({ length: 60 }, (_, i) => committer.submit(opsEvent('org_batch', `inv_b${i}`))));
    expect(outcomes.every((o) => o.kind === 'accepted')).toBe(true);
    expect(batchSizes.reduce((a, b) => a + b, 0)).toBe(60);
    expect(batchSizes.length).toBeLessThan(60);
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
  });

  it('one event the database refuses never fails its neighbours', async () => {
    const errors: unknown[] = [];
    const committer = new GroupCommitter<OpsEvent, AcceptOutcome>({
      write: (events) => acceptOpsEvents(h.database.db, events),
      maxBatch: 50,
      maxInFlight: 1,
      onBatchError: (error) => errors.push(error),
    });
    // Bypasses HTTP validation on purpose: tenants.id is limited to 200 characters by a CHECK.
    const events = Array.from({ length: 10 }, (_, i) => opsEvent(i === 4 ? 'x'.repeat(300) : 'org_neighbours', `inv_n${i}`));
    // Occupy the only in-flight slot so all ten form one batch.
    const blocker = committer.submit(opsEvent('org_neighbours', 'inv_blocker'));
    const results = await Promise.allSettled(events.map((e) => committer.submit(e)));
    await blocker;
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(9);
    expect(results[4]!.status).toBe('rejected');
    expect(errors.length).toBeGreaterThan(0);
    const stored = await h.database.db.selectFrom('documents').select('source_id').where('tenant_id', '=', 'org_neighbours').execute();
    expect(stored.map((d) => d.source_id).sort()).toEqual(['inv_blocker', ...Array.from({ length: 10 }, (_, i) => `inv_n${i}`).filter((_, i) => i !== 4)].sort());
  });

  it('drain() waits for everything submitted', async () => {
    const committer = new GroupCommitter<number, number>({
      write: async (items) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return items.map((i) => i * 2);
      },
      maxBatch: 3,
      maxInFlight: 1,
    });
    const settled: number[] = [];
    for (let i = 0; i < 7; i++) void committer.submit(i).then((v) => settled.push(v));
    await committer.drain();
    await Promise.resolve();
    expect(settled.sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 8, 10, 12]);
  });
});

describe('accept_ops_events: races', () => {
  it('a batch that meets a document another batch is creating waits, then writes again as an update', async () => {
    const db = h.database.db;
    const races: number[] = [];
    let second: Promise<AcceptOutcome[]> | undefined;
    // The first batch creates the document and holds its transaction open until the second waits on it.
    const [created] = await db.transaction().execute(async (trx) => {
      const outcomes = await acceptOpsEvents(trx, [opsEvent('org_race_set', 'inv_race_set')]);
      second = acceptOpsEvents(db, [opsEvent('org_race_set', 'inv_race_set', { version: 2 })], { onRace: (_, attempt) => races.push(attempt) });
      await waitFor(async () => {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
        return rows[0]!.n > 0 ? true : undefined;
      }, 10_000);
      return outcomes;
    });
    const [updated] = await second!;
    expect(created).toMatchObject({ kind: 'accepted', status: 'received' });
    expect(updated).toEqual({ kind: 'accepted', documentId: (created as { documentId: string }).documentId, status: 'received' });
    // Its first statement could not see the document committed after it began: one retry.
    expect(races).toEqual([1]);
    const state = await documentState('org_race_set', 'inv_race_set');
    expect(state).toMatchObject({ source_version: 2, jobs: 2 });
    expect(state.history.map((e) => e.reason)).toEqual(['version 1 received (sales_order.shipped)', 'version 2 received']);
  });
});

describe('accept_ops_events: plans', () => {
  for (const statistics of ['of small tables', 'none at all'] as const) {
    it(`reads no table whole as its tables grow (statistics: ${statistics})`, async () => {
      const fresh = await createTestDatabase();
      // One connection, so every batch reuses the plans made with the first (or no) statistics.
      const handle = createDatabase({ connectionString: fresh.url, poolSize: 1, logger: pino({ level: 'silent' }) });
      try {
        for (let b = 0; b < 40; b++) {
          // Statistics of small tables, as autovacuum leaves them early on or after a queue drains.
          if (b === 4 && statistics === 'of small tables') await sql`analyze`.execute(handle.db);
          await acceptOpsEvents(handle.db, Array.from({ length: 25 }, (_, i) => opsEvent(`org_plan_${i % 5}`, `inv_plan_${b}_${i}`)));
        }
        // Duplicates, newer versions and the one-by-one fallback, against the grown tables.
        const outcomes = await acceptOpsEvents(handle.db, [
          opsEvent('org_plan_0', 'inv_plan_0_0'),
          opsEvent('org_plan_1', 'inv_plan_0_1', { version: 2 }),
          opsEvent('org_plan_2', 'inv_plan_9_2', { version: 2 }),
          opsEvent('org_plan_2', 'inv_plan_9_2', { version: 3 }),
        ]);
        expect(outcomes.map((o) => o.kind)).toEqual(['duplicate', 'accepted', 'accepted', 'accepted']);

        await sql`select pg_stat_force_next_flush()`.execute(handle.db);
        const { rows } = await sql<{ relname: string; seq_tup_read: number; idx_tup_fetch: number }>`
          select relname, seq_tup_read::int, coalesce(idx_tup_fetch, 0)::int as idx_tup_fetch from pg_stat_all_tables
          where relname in ('documents', 'inbound_events', '_private_jobs') order by relname`.execute(handle.db);
        expect(rows.map((r) => [r.relname, r.seq_tup_read])).toEqual([
          ['_private_jobs', 0],
          ['documents', 0],
          ['inbound_events', 0],
        ]);
        // Our lookups fetch a row per event, not the table per batch (1,004 events; a scan would be
        // ~20,000). Not asserted for _private_jobs: graphile-worker's add_jobs clears job keys with an
        // update that, planned on a small queue, reads the queue's index whole until the next ANALYZE.
        for (const row of rows.filter((r) => r.relname !== '_private_jobs')) expect(row.idx_tup_fetch).toBeLessThan(3_000);
      } finally {
        await handle.close();
        await fresh.drop();
      }
    });
  }
});
