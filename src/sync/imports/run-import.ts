import type { Logger } from 'pino';
import { ConnectionUnavailableError, openSession, type SessionDeps } from '../../connections/session.ts';
import type { Database, Tx } from '../../db/database.ts';
import type { FeedWriter } from '../../feed/writer.ts';
import type { ProviderRegistry } from '../../providers/registry.ts';
import { ProviderError, type AccountingProvider, type ImportPage, type ProviderSession } from '../../providers/types.ts';
import { finishRun, markRunning, recordItems, setProgress, type RunItem } from '../runs.ts';
import { importContactsPage, countContactsPage } from './contacts.ts';
import { importPurchaseOrdersPage } from './purchase-orders.ts';

export interface ImportDeps extends SessionDeps {
  readonly providers: ProviderRegistry;
  readonly feed: FeedWriter;
  readonly logger: Logger;
}

export type ImportKind = 'contacts' | 'purchase_orders';

/** What one page contributed: run items, feed events and the newest modification time seen. */
export interface PageResult {
  readonly items: RunItem[];
  readonly newest: Date | null;
}

interface ImportStrategy {
  fetch(provider: AccountingProvider, session: ProviderSession, page: number, since: Date | null): Promise<ImportPage<unknown>>;
  apply(tx: Tx, deps: ImportDeps, tenantId: string, provider: AccountingProvider, items: readonly unknown[]): Promise<PageResult>;
}

const STRATEGIES: Record<ImportKind, ImportStrategy> = {
  contacts: {
    // The first import leaves archived contacts out; incremental runs include them to learn of archiving.
    fetch: (p, s, page, since) => p.records.contactsPage(s, { page, modifiedSince: since, includeArchived: since !== null }),
    apply: (tx, deps, tenantId, p, items) => importContactsPage(tx, deps.feed, tenantId, p.name, items as never),
  },
  purchase_orders: {
    // The first import asks for open ones only; incremental runs see every change, to close some.
    fetch: (p, s, page, since) => p.records.purchaseOrdersPage(s, { page, modifiedSince: since, onlyOpen: since === null }),
    apply: (tx, deps, tenantId, p, items) => importPurchaseOrdersPage(tx, deps.feed, tenantId, p.name, items as never),
  },
};

/**
 * Runs one import (or dry run) page by page. Each page commits on its own with its items, feed
 * events and the run's progress, so a failure keeps what was imported and says where it stopped;
 * the next run continues from that page with the same modified-since. Upserts make replays no-ops.
 */
export async function runImport(deps: ImportDeps, tenantId: string, runId: string, kind: ImportKind, opts: { dryRun: boolean }): Promise<void> {
  const log = deps.logger.child({ tenantId, runId, import: kind });
  const db: Database = deps.db;
  const connection = await db.selectFrom('connections').select(['provider']).where('tenant_id', '=', tenantId).executeTakeFirst();
  const provider = connection ? deps.providers[connection.provider] : undefined;
  let session: ProviderSession;
  try {
    if (!provider) throw new ConnectionUnavailableError(tenantId, connection ? 'provider not configured' : 'none');
    session = await openSession(deps, provider, tenantId);
  } catch (error) {
    if (!(error instanceof ConnectionUnavailableError)) throw error;
    await finishWith(deps, tenantId, runId, { status: 'failed', error: `no usable connection (${error.status})` });
    return;
  }
  await markRunning(db, runId);

  const state = await db.selectFrom('import_state').selectAll().where('tenant_id', '=', tenantId).where('kind', '=', kind).executeTakeFirst();
  const resume = opts.dryRun ? null : ((state?.resume as { page: number; since: string | null } | null) ?? null);
  const since = resume ? (resume.since ? new Date(resume.since) : null) : (state?.modified_since ?? null);
  let page = resume?.page ?? 1;
  let newest = since;
  const counts = { pages: 0, total: 0, customers: 0, suppliers: 0, would_create: 0, would_update: 0 };
  if (resume) log.info({ page, since }, 'continuing an import that stopped');

  try {
    for (;;) {
      await setProgress(db, runId, { page, since: since?.toISOString() ?? null });
      const result = await STRATEGIES[kind].fetch(provider!, session, page, since);
      counts.pages++;
      if (opts.dryRun) {
        if (kind === 'contacts') await countContactsPage(db, tenantId, result.items as never, counts);
        else counts.total += result.items.filter((o) => (o as { open: boolean }).open).length;
      } else {
        const applied = await db.transaction().execute(async (tx) => {
          const pageResult = await STRATEGIES[kind].apply(tx, deps, tenantId, provider!, result.items);
          await recordItems(tx, runId, pageResult.items);
          return pageResult;
        });
        if (applied.newest && (!newest || applied.newest > newest)) newest = applied.newest;
      }
      if (result.nextPage === null) break;
      page = result.nextPage;
    }
  } catch (error) {
    const reason = error instanceof ProviderError ? error.message : (error as Error).message;
    log.warn({ page, err: reason }, 'import stopped');
    await db.transaction().execute(async (tx) => {
      if (!opts.dryRun) await saveState(tx, tenantId, kind, { resume: { page, since: since?.toISOString() ?? null } });
      await finishRun(tx, runId, { status: 'failed', error: `stopped at page ${page}: ${reason}`, summary: { pages: counts.pages, stopped_at_page: page } });
      await deps.feed.appendEvent(tx, tenantId, 'sync_run.finished', { run_id: runId, kind: `${kind === 'contacts' ? 'contact' : 'purchase_order'}_import`, status: 'failed', error: reason });
    });
    if (!(error instanceof ProviderError) && !(error instanceof ConnectionUnavailableError)) throw error;
    return;
  }

  await db.transaction().execute(async (tx) => {
    if (!opts.dryRun) await saveState(tx, tenantId, kind, { resume: null, modifiedSince: newest });
    const summary = opts.dryRun ? { dry_run: true, ...counts } : { pages: counts.pages };
    await finishRun(tx, runId, { status: 'succeeded', summary });
    await deps.feed.appendEvent(tx, tenantId, 'sync_run.finished', { run_id: runId, kind: `${kind === 'contacts' ? 'contact' : 'purchase_order'}_import`, status: 'succeeded', dry_run: opts.dryRun });
  });
  log.info({ pages: counts.pages, dryRun: opts.dryRun }, 'import finished');
}

async function saveState(tx: Tx, tenantId: string, kind: ImportKind, patch: { resume: { page: number; since: string | null } | null; modifiedSince?: Date | null }) {
  const values = {
    resume: patch.resume ? JSON.stringify(patch.resume) : null,
    last_run_at: new Date(),
    ...(patch.modifiedSince !== undefined ? { modified_since: patch.modifiedSince } : {}),
  };
  await tx
    .insertInto('import_state')
    .values({ tenant_id: tenantId, kind, modified_since: patch.modifiedSince ?? null, ...values })
    .onConflict((oc) => oc.columns(['tenant_id', 'kind']).doUpdateSet(values))
    .execute();
}

async function finishWith(deps: ImportDeps, tenantId: string, runId: string, outcome: { status: 'failed'; error: string }) {
  await deps.db.transaction().execute(async (tx) => {
    await finishRun(tx, runId, outcome);
    await deps.feed.appendEvent(tx, tenantId, 'sync_run.finished', { run_id: runId, status: outcome.status, error: outcome.error });
  });
}
