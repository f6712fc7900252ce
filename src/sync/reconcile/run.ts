import { sql } from 'kysely';
import { ConnectionUnavailableError, openSession, type SessionDeps } from '../../connections/session.ts';
import type { DocumentStatus } from '../../db/schema.ts';
import type { ProviderRegistry } from '../../providers/registry.ts';
import { NUMBERED_KINDS, ProviderError, type NumberedKind, type ProviderDocument, type ProviderSession } from '../../providers/types.ts';
import { finishRun, markRunning, recordItems, setProgress, type RunItem } from '../runs.ts';
import { compareDocument, numberOf, type PushedDocument } from './compare.ts';
import { FINDING_TYPES, insertFindings, RECONCILIATION_RUN_KIND, type NewFinding } from './repo.ts';

export interface ReconcileDeps extends SessionDeps {
  readonly providers: ProviderRegistry;
}

/** Documents compared per round: one look-up (a few calls) per kind at the provider, one commit. */
const CHUNK = 200;
/** Pushing or uncertain: the provider may or may not hold the newest write yet, so they wait for the next run. */
const IN_FLIGHT: readonly DocumentStatus[] = ['pushing', 'uncertain'];

/**
 * Runs one reconciliation: the tenant's documents Ledgerport pushed (of the kind and issue dates
 * asked for) are read from the provider by id and number, CHUNK at a time, and compared with
 * Ledgerport's records (compare.ts); each difference is a finding. Only reads at the provider.
 * The run's items are the documents checked (succeeded: they agree; failed: a finding). A re-run
 * of the job (a worker died) starts the run over.
 */
export async function runReconciliation(deps: ReconcileDeps, tenantId: string, runId: string): Promise<void> {
  const log = deps.logger.child({ tenantId, runId, subsystem: 'reconcile' });
  const scope = await deps.db.selectFrom('reconciliations').select(['kind', 'date_from', 'date_to']).where('run_id', '=', runId).where('tenant_id', '=', tenantId).executeTakeFirst();
  const run = await deps.db.selectFrom('sync_runs').select(['status']).where('id', '=', runId).executeTakeFirst();
  if (!scope || !run) {
    log.warn('no such reconciliation; nothing to do');
    return;
  }
  if (run.status === 'succeeded' || run.status === 'failed') return;
  await deps.db.transaction().execute(async (tx) => {
    // A job run again after its worker died starts over.
    await tx.deleteFrom('reconciliation_findings').where('run_id', '=', runId).execute();
    await tx.deleteFrom('sync_run_items').where('run_id', '=', runId).execute();
    await tx.updateTable('sync_runs').set({ total: 0, succeeded: 0, failed: 0, skipped: 0 }).where('id', '=', runId).execute();
    await markRunning(tx, runId);
  });

  const connection = await deps.db.selectFrom('connections').select(['provider']).where('tenant_id', '=', tenantId).executeTakeFirst();
  const provider = connection ? deps.providers[connection.provider] : undefined;
  let session: ProviderSession;
  try {
    if (!provider) throw new ConnectionUnavailableError(tenantId, connection ? 'provider not configured' : 'none');
    session = await openSession(deps, provider, tenantId);
  } catch (error) {
    if (!(error instanceof ConnectionUnavailableError)) throw error;
    await finish(deps, tenantId, runId, { status: 'failed', error: `no usable connection (${error.status})` }, { checked: 0 });
    return;
  }

  const kinds = scope.kind ? [scope.kind] : NUMBERED_KINDS;
  let checked = 0;
  let afterSeq = '0';
  try {
    for (;;) {
      const rows = await deps.db
        .selectFrom('documents as d')
        .select(['d.id', 'd.seq', 'd.kind', 'd.status', 'd.provider_id', 'd.provider_number', 'd.source', 'd.synced_source', 'd.defaults_snapshot'])
        .select(sql<Date | null>`(select max(e.at) from document_events e where e.document_id = d.id and e.to_status in ('synced', 'voided'))`.as('synced_at'))
        .where('d.tenant_id', '=', tenantId)
        .where('d.kind', 'in', [...kinds])
        .where('d.provider_id', 'is not', null)
        .where('d.synced_version', 'is not', null)
        .where('d.status', 'not in', [...IN_FLIGHT])
        .$if(scope.date_from !== null, (q) => q.where(sql<boolean>`coalesce(d.synced_source, d.source)->>'issue_date' >= ${scope.date_from}`))
        .$if(scope.date_to !== null, (q) => q.where(sql<boolean>`coalesce(d.synced_source, d.source)->>'issue_date' <= ${scope.date_to}`))
        .where('d.seq', '>', afterSeq)
        .orderBy('d.seq')
        .limit(CHUNK)
        .execute();
      if (rows.length === 0) break;
      afterSeq = rows.at(-1)!.seq;
      const documents: PushedDocument[] = rows.map((r) => ({
        id: r.id,
        kind: r.kind as NumberedKind,
        status: r.status,
        providerId: r.provider_id!,
        providerNumber: r.provider_number,
        source: (r.synced_source ?? r.source) as Record<string, unknown>,
        taxTreatment: ((r.defaults_snapshot as Record<string, unknown> | null)?.tax_treatment as string | undefined) ?? null,
        syncedAt: r.synced_at ? new Date(r.synced_at) : null,
      }));
      const findings: NewFinding[] = [];
      const items: RunItem[] = [];
      for (const kind of kinds) {
        const ofKind = documents.filter((d) => d.kind === kind);
        if (ofKind.length === 0) continue;
        const numbers = [...new Set(ofKind.map(numberOf).filter((n): n is string => n !== null))];
        const candidates: ProviderDocument[] = await provider.records.findDocuments(session, { kind, ids: [...new Set(ofKind.map((d) => d.providerId))], numbers });
        for (const doc of ofKind) {
          const found = compareDocument(doc, candidates, { taxByTreatment: provider.capabilities.taxMapping === 'tax_treatment' });
          findings.push(...found);
          items.push({
            itemType: 'document', itemId: doc.id, outcome: found.length === 0 ? 'succeeded' : 'failed',
            message: found.length === 0 ? `${numberOf(doc) ?? doc.providerId}: agrees with the provider` : found.map((f) => f.message).join('; ').slice(0, 1000),
          });
        }
      }
      checked += documents.length;
      await deps.db.transaction().execute(async (tx) => {
        await insertFindings(tx, tenantId, runId, findings);
        await recordItems(tx, runId, items);
        await setProgress(tx, runId, { checked, after_seq: afterSeq });
      });
      if (rows.length < CHUNK) break;
    }
  } catch (error) {
    if (!(error instanceof ProviderError) && !(error instanceof ConnectionUnavailableError)) throw error;
    log.warn({ err: error.message, checked }, 'reconciliation stopped: the provider could not be read');
    await finish(deps, tenantId, runId, { status: 'failed', error: `the provider could not be read after ${checked} documents: ${error.message}` }, { checked });
    return;
  }
  await finish(deps, tenantId, runId, { status: 'succeeded' }, { checked });
  log.info({ checked }, 'reconciliation finished');
}

async function finish(deps: ReconcileDeps, tenantId: string, runId: string, outcome: { status: 'succeeded' | 'failed'; error?: string }, totals: { checked: number }): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const counts = await tx
      .selectFrom('reconciliation_findings')
      .select(['type', sql<string>`count(*)`.as('n')])
      .where('run_id', '=', runId)
      .groupBy('type')
      .execute();
    const findings = Object.fromEntries(FINDING_TYPES.map((t) => [t, Number(counts.find((c) => c.type === t)?.n ?? 0)]));
    await finishRun(tx, runId, { ...outcome, summary: { documents_checked: totals.checked, findings } });
    await deps.feed.appendEvent(tx, tenantId, 'sync_run.finished', {
      run_id: runId, kind: RECONCILIATION_RUN_KIND, status: outcome.status, ...(outcome.error ? { error: outcome.error } : {}), findings,
    });
  });
}

