import { Hono } from 'hono';
import { pageCursor } from '../paging.ts';
import { PROVIDER_TITLES, RUN_KIND_WORDS } from '../vocabulary.ts';
import { html } from 'hono/html';
import * as v from 'valibot';
import type { AppContext } from '../../context.ts';
import type { ProviderName } from '../../db/schema.ts';
import type { SyncRunKind } from '../../db/schema-records.ts';
import { AppError } from '../../errors.ts';
import { decodeCursor, encodeCursor } from '../../http/validate.ts';
import { startImport } from '../../sync/imports/start.ts';
import { getRun, listRunItems, listRuns, type RunRow } from '../../sync/runs.ts';
import { consoleError, type ConsoleEnv } from '../app.ts';
import { actionForm, page, tenantBase, when, type Html } from '../layout.ts';
import type { ConsoleSession } from '../sessions.ts';

const PAGE_SIZE = 50;
const ITEMS_PAGE_SIZE = 100;
const ATTEMPTS_SHOWN = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const KINDS = Object.keys(RUN_KIND_WORDS) as SyncRunKind[];
const TRIGGER_WORDS: Record<string, string> = { manual: 'by hand', schedule: 'on schedule', webhook: 'provider webhook', automation: 'automatic' };

type ImportKind = 'contacts' | 'purchase_orders';
const IMPORTS: Record<ImportKind, { run: 'contact_import' | 'purchase_order_import'; noun: string; button: string }> = {
  contacts: { run: 'contact_import', noun: 'contacts', button: 'Import contacts' },
  purchase_orders: { run: 'purchase_order_import', noun: 'purchase orders', button: 'Import purchase orders' },
};

const ListQuery = v.object({
  kind: v.optional(v.union([v.literal(''), v.picklist(KINDS)]), ''),
  cursor: v.optional(v.string()),
  notice: v.optional(v.pipe(v.string(), v.maxLength(300))),
});
const ImportForm = v.object({
  kind: v.picklist(['contacts', 'purchase_orders']),
  dry_run: v.picklist(['1', '0']),
  dry_run_id: v.optional(v.string()),
});

const label = (s: string) => s.replace(/_/g, ' ');
const statusBadge = (status: string) => html`<span class="status status-${status}">${label(status)}</span>`;
const active = (r: Pick<RunRow, 'status'> | undefined) => r?.status === 'queued' || r?.status === 'running';
/** Queued or running, and touched within the hour: an older one lost its worker (as activeRun in sync/runs.ts counts it). */
const underWay = (r: RunRow | undefined): boolean => active(r) && Date.now() - (r!.started_at ?? r!.created_at).getTime() < 60 * 60_000;
const isImportDryRun = (r: Pick<RunRow, 'kind' | 'dry_run'>) => r.dry_run && (r.kind === 'contact_import' || r.kind === 'purchase_order_import');
const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** What a dry run counted, as a sentence: "would import 150 contacts (150 new, 0 changed; …)". */
function dryRunWords(run: Pick<RunRow, 'kind' | 'summary'>): string {
  const s = run.summary ?? {};
  if (run.kind === 'contact_import') {
    const total = num(s.total);
    return `would import ${plural(total, 'contact', 'contacts')} (${num(s.would_create)} new, ${num(s.would_update)} changed; ${plural(num(s.customers), 'customer', 'customers')}, ${plural(num(s.suppliers), 'supplier', 'suppliers')})`;
  }
  return `would import ${plural(num(s.total), 'open purchase order', 'open purchase orders')}`;
}

/** The words for a run's outcome in the list and on its page. */
function outcomeWords(run: RunRow): Html | string {
  if (isImportDryRun(run) && run.status === 'succeeded') return `Dry run: ${dryRunWords(run)}. Nothing was changed.`;
  if (run.error) return html`<span class="provider-error">${run.error}</span>`;
  if (active(run)) return run.status === 'queued' ? 'Waiting for the worker.' : `Running${typeof run.progress?.page === 'number' ? ` (page ${run.progress.page})` : ''}.`;
  return '';
}

const counts = (r: RunRow) =>
  isImportDryRun(r)
    ? html`<span class="counts">${r.status === 'succeeded' ? `counted ${num(r.summary?.total)}` : 'counting only'}</span>`
    : html`<span class="counts"><span title="total">${r.total} total</span> · <span class="status-succeeded">${r.succeeded} succeeded</span> · <span${r.failed ? html` class="provider-error"` : ''}>${r.failed} failed</span> · ${r.skipped} skipped</span>`;

/** The provider's own words about one item: its messages (with the field they concern), else the run item's message. */
function itemWords(errors: unknown, message: string | null): string[] {
  if (Array.isArray(errors) && errors.length > 0) {
    return errors.map((e: { message?: unknown; field?: unknown }) => (e && typeof e === 'object' ? `${e.field ? `${String(e.field)}: ` : ''}${String(e.message ?? JSON.stringify(e))}` : String(e)));
  }
  return message ? [message] : [];
}

interface ImportState {
  readonly kind: ImportKind;
  readonly dry?: RunRow;
  readonly real?: RunRow;
}

/** One import's panel: start with a dry run; once it has counted, offer the real run. */
function importPanel(session: ConsoleSession, base: string, connected: boolean, state: ImportState): Html {
  const { noun, button } = IMPORTS[state.kind];
  const { dry, real } = state;
  const runLink = (r: RunRow, text: string) => html`<a href="${base}/runs/${r.id}">${text}</a>`;
  const start = (text: string, style: 'primary' | 'plain' = 'primary') => actionForm(session, `${base}/runs/import`, text, { fields: { kind: state.kind, dry_run: '1' }, style });
  let body: Html;
  if (!connected) {
    body = html`<p>Connect to an accounting system to import ${noun}.</p>`;
  } else if (underWay(real)) {
    body = html`<p data-import-state="importing">Importing ${noun}: ${statusBadge(real!.status)} ${runLink(real!, 'follow the run')}. The result shows here when it finishes.</p>`;
  } else if (underWay(dry)) {
    body = html`<p data-import-state="counting">Counting the ${noun} a run would import (dry run ${statusBadge(dry!.status)}). The count shows here when it finishes; nothing is changed.</p>`;
  } else if (dry && (!real || BigInt(dry.seq) > BigInt(real.seq)) && dry.status === 'succeeded') {
    const total = num(dry.summary?.total);
    body = html`<p data-import-state="counted">The dry run ${when(dry.finished_at)} found: <strong data-dry-run-count="${total}">${dryRunWords(dry)}</strong>. ${runLink(dry, 'Details')}.</p>
<div class="actions">${actionForm(session, `${base}/runs/import`, total > 0 ? `Import ${plural(total, IMPORTS[state.kind].noun.replace(/s$/, ''), noun)} now` : `Run the import anyway`, { fields: { kind: state.kind, dry_run: '0', dry_run_id: dry.id }, style: 'primary' })}${start('Count again', 'plain')}</div>`;
  } else if (dry && (!real || BigInt(dry.seq) > BigInt(real.seq)) && dry.status === 'failed') {
    body = html`<p data-import-state="dry-run-failed">The dry run failed: <span class="provider-error">${dry.error ?? 'no reason given'}</span> (${runLink(dry, 'details')}).</p><div class="actions">${start('Try the dry run again')}</div>`;
  } else {
    body = html`${real ? html`<p>Last import ${when(real.finished_at ?? real.created_at)}: ${statusBadge(real.status)}${real.error ? html` <span class="provider-error">${real.error}</span>` : ''} (${runLink(real, 'details')}).</p>` : ''}
<div class="actions">${start(button)}</div><p class="hint">First counts what would be imported (a dry run); nothing is changed until you confirm.</p>`;
  }
  return html`<section class="import" aria-labelledby="import-${state.kind}"><h3 id="import-${state.kind}">${button}</h3>${body}</section>`;
}

async function latestImports(ctx: AppContext, tenantId: string): Promise<ImportState[]> {
  // The newest run of each import kind, dry and real.
  const rows = await Promise.all(
    (Object.keys(IMPORTS) as ImportKind[]).flatMap((kind) =>
      [true, false].map(async (dryRun) => {
        const id = await ctx.db
          .selectFrom('sync_runs')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('kind', '=', IMPORTS[kind].run)
          .where('dry_run', '=', dryRun)
          .orderBy('seq', 'desc')
          .limit(1)
          .executeTakeFirst();
        return { kind, dryRun, run: id ? await getRun(ctx.db, tenantId, id.id) : undefined };
      }),
    ),
  );
  return (Object.keys(IMPORTS) as ImportKind[]).map((kind) => ({
    kind,
    dry: rows.find((r) => r.kind === kind && r.dryRun)?.run,
    real: rows.find((r) => r.kind === kind && !r.dryRun)?.run,
  }));
}

function runId(value: string): string {
  if (!UUID.test(value)) throw consoleError(404, 'There is no such sync run.');
  return value;
}

export function runPages(ctx: AppContext) {
  const log = ctx.logger.child({ subsystem: 'console' });
  return new Hono<ConsoleEnv>()
    .get('/runs', async (c) => {
      const tenantId = c.get('tenantId');
      const session = c.get('session');
      const base = tenantBase(tenantId);
      const parsed = v.safeParse(ListQuery, c.req.query());
      if (!parsed.success) throw consoleError(400, 'Those filters are not valid; start from the first page.');
      const q = parsed.output;
      const beforeSeq = pageCursor(q.cursor);
      const [rows, imports, connection] = await Promise.all([
        listRuns(ctx.db, { tenantId, kind: q.kind || undefined, beforeSeq, limit: PAGE_SIZE + 1 }),
        latestImports(ctx, tenantId),
        ctx.db.selectFrom('connections').select(['provider', 'status']).where('tenant_id', '=', tenantId).executeTakeFirst(),
      ]);
      const connected = connection?.status === 'connected' && Boolean(ctx.services.providers[connection.provider]);
      const shown = rows.slice(0, PAGE_SIZE);
      // The first failure of each run that had some, in the provider's words.
      const failing = shown.filter((r) => r.failed > 0).map((r) => r.id);
      const firstFailures = new Map(
        (failing.length
          ? await ctx.db.selectFrom('sync_run_items').distinctOn('run_id').select(['run_id', 'message', 'errors']).where('run_id', 'in', failing).where('outcome', '=', 'failed').orderBy('run_id').orderBy('id').execute()
          : []
        ).map((i) => [i.run_id, itemWords(i.errors, i.message)]),
      );
      const next = rows.length > PAGE_SIZE ? new URLSearchParams({ ...(q.kind ? { kind: q.kind } : {}), cursor: encodeCursor(shown.at(-1)!.seq) }) : null;
      const table = shown.length === 0
        ? html`<p class="empty">${q.kind ? 'No runs of this kind yet.' : 'Nothing has been synced yet.'}</p>`
        : html`<table><caption>Sync runs, newest first${q.kind ? ` (${RUN_KIND_WORDS[q.kind]} only)` : ''}</caption>
<thead><tr><th scope="col">Run</th><th scope="col">Trigger</th><th scope="col">Status</th><th scope="col">Items</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Outcome</th></tr></thead>
<tbody>${shown.map((r) => html`<tr data-run-id="${r.id}" data-status="${r.status}">
<td><a href="${base}/runs/${r.id}">${RUN_KIND_WORDS[r.kind] ?? label(r.kind)}${r.dry_run ? ' (dry run)' : ''}</a></td>
<td>${TRIGGER_WORDS[r.trigger] ?? label(r.trigger)}</td>
<td>${statusBadge(r.status)}</td>
<td>${counts(r)}</td>
<td>${when(r.started_at ?? r.created_at)}${r.started_at ? '' : html`<br><small>queued</small>`}</td>
<td>${when(r.finished_at)}</td>
<td>${outcomeWords(r)}${firstFailures.get(r.id)?.length ? html`<span class="first-failure">${r.failed > 1 ? `First of ${r.failed} failures: ` : 'Failed: '}<span class="provider-error">${firstFailures.get(r.id)!.join('; ')}</span></span>` : ''}</td>
</tr>`)}</tbody></table>`;
      const filter = html`<form method="get" action="${base}/runs" class="filters" role="search">
<label>Kind <select name="kind"><option value="">all</option>${KINDS.map((k) => html`<option value="${k}"${q.kind === k ? ' selected' : ''}>${RUN_KIND_WORDS[k]}</option>`)}</select></label>
<button type="submit">Show</button></form>`;
      return c.html(
        page(
          { title: 'Sync history', session, tenantId, section: 'runs', notice: q.notice },
          html`<section aria-labelledby="imports-title"><h2 id="imports-title">Import from ${connection && connected ? PROVIDER_TITLES[connection.provider] : 'the accounting system'}</h2>
<div class="imports">${imports.map((state) => importPanel(session, base, connected, state))}</div>
<p class="hint">Imports run in the background; this page updates when they finish.</p></section>
<h2>Runs</h2>
${filter}${table}${next ? html`<p><a href="${base}/runs?${next.toString()}" rel="next">Older runs</a></p>` : ''}`,
        ),
      );
    })
    .post('/runs/import', async (c) => {
      const tenantId = c.get('tenantId');
      const base = tenantBase(tenantId);
      const parsed = v.safeParse(ImportForm, await c.req.parseBody());
      if (!parsed.success) throw consoleError(400, 'Choose one of the imports offered.');
      const { kind, dry_run: dry, dry_run_id: dryRunId } = parsed.output;
      const { noun, run: runKind } = IMPORTS[kind];
      const back = (notice: string) => c.redirect(`${base}/runs?notice=${encodeURIComponent(notice)}`, 303);
      if (dry === '0') {
        // The real run follows a dry run of the same import that counted what it will do: the one
        // the button names, else the newest.
        const counted = dryRunId
          ? UUID.test(dryRunId) ? await getRun(ctx.db, tenantId, dryRunId) : undefined
          : (await listRuns(ctx.db, { tenantId, kind: runKind, limit: 20 })).find((r) => r.dry_run);
        if (!counted || counted.kind !== runKind || !counted.dry_run || counted.status !== 'succeeded') {
          return back(`Count the ${noun} first: start with the dry run, then confirm the import.`);
        }
      }
      try {
        const { runId: started, existing } = await startImport(ctx.db, { tenantId, kind, trigger: 'manual', dryRun: dry === '1' });
        log.info({ tenantId, runId: started, kind, dryRun: dry === '1', existing, sessionId: c.get('session').id }, 'import started from the console');
        if (dry === '1') return back(existing ? `A dry run of the ${noun} import is already under way.` : `Dry run queued: counting the ${noun} an import would bring in. The count shows below when it finishes.`);
        return back(existing ? `An import of ${noun} is already under way.` : `Import of ${noun} queued. It runs in the background; the result shows below.`);
      } catch (error) {
        if (error instanceof AppError && error.status === 409) return back(`Not started: ${error.message}.`);
        throw error;
      }
    })
    .get('/runs/:run_id', async (c) => {
      const tenantId = c.get('tenantId');
      const session = c.get('session');
      const base = tenantBase(tenantId);
      const id = runId(c.req.param('run_id'));
      const run = await getRun(ctx.db, tenantId, id);
      if (!run) throw consoleError(404, 'There is no such sync run.');
      let afterId: string | undefined;
      try {
        afterId = decodeCursor(c.req.query('items_cursor'));
      } catch {
        throw consoleError(400, 'That page link is not valid; start from the first page.');
      }
      const [items, attempts] = await Promise.all([
        listRunItems(ctx.db, { runId: id, afterId, limit: ITEMS_PAGE_SIZE + 1 }),
        run.kind === 'push'
          ? ctx.db
              .selectFrom('sync_attempts')
              .innerJoin('push_batches', 'push_batches.id', 'sync_attempts.push_batch_id')
              .innerJoin('documents', 'documents.id', 'sync_attempts.document_id')
              .select([
                'sync_attempts.id', 'sync_attempts.document_id', 'sync_attempts.source_version', 'sync_attempts.started_at', 'sync_attempts.finished_at',
                'sync_attempts.outcome', 'sync_attempts.provider_errors', 'documents.kind', 'documents.source_id', 'documents.source',
              ])
              .where('push_batches.run_id', '=', id)
              .where('push_batches.tenant_id', '=', tenantId)
              .orderBy('sync_attempts.started_at')
              .orderBy('sync_attempts.id')
              .limit(ATTEMPTS_SHOWN)
              .execute()
          : Promise.resolve([]),
      ]);
      const shown = items.slice(0, ITEMS_PAGE_SIZE);
      const documentIds = [...new Set(shown.filter((i) => i.item_type === 'document' && UUID.test(i.item_id)).map((i) => i.item_id))];
      const docs = documentIds.length
        ? await ctx.db.selectFrom('documents').select(['id', 'kind', 'source_id', 'source']).where('tenant_id', '=', tenantId).where('id', 'in', documentIds).execute()
        : [];
      const docById = new Map(docs.map((d) => [d.id, d]));
      const docName = (d: { kind: string; source_id: string; source: unknown }) => `${label(d.kind)} ${(d.source as { number?: string }).number ?? d.source_id}`;
      const nextItems = items.length > ITEMS_PAGE_SIZE ? encodeCursor(shown.at(-1)!.id) : null;
      const notice = c.req.query('notice')?.slice(0, 300);
      const itemTable = shown.length === 0
        ? html`<p class="empty">${active(run) ? 'No items yet.' : run.dry_run ? 'A dry run records no items: it only counts.' : 'This run recorded no items.'}</p>`
        : html`<table><caption>What happened to each item${afterId ? ' (continued)' : ''}</caption>
<thead><tr><th scope="col">Item</th><th scope="col">Outcome</th><th scope="col">In the provider's words</th><th scope="col">When</th></tr></thead>
<tbody>${shown.map((i) => {
            const doc = i.item_type === 'document' ? docById.get(i.item_id) : undefined;
            const words = itemWords(i.errors, i.message);
            return html`<tr data-outcome="${i.outcome}">
<td>${doc ? html`<a href="${base}/documents/${doc.id}">${docName(doc)}</a>` : html`${label(i.item_type)} <small>${i.item_id}</small>`}</td>
<td>${statusBadge(i.outcome)}</td>
<td>${words.length ? html`<ul class="provider-errors">${words.map((w) => html`<li${i.outcome === 'failed' ? html` class="provider-error"` : ''}>${w}</li>`)}</ul>` : '-'}</td>
<td>${when(i.at)}</td>
</tr>`;
          })}</tbody></table>${nextItems ? html`<p><a href="${base}/runs/${run.id}?items_cursor=${nextItems}" rel="next">More items</a></p>` : ''}`;
      const attemptTable = run.kind !== 'push'
        ? ''
        : html`<h2>Document attempts</h2>${attempts.length === 0
          ? html`<p class="empty">No document was sent in this run.</p>`
          : html`<table><caption>Each document this run sent, and the provider's answer</caption>
<thead><tr><th scope="col">Document</th><th scope="col">Version</th><th scope="col">Started</th><th scope="col">Finished</th><th scope="col">Outcome</th><th scope="col">Provider's answer</th></tr></thead>
<tbody>${attempts.map((a) => html`<tr data-outcome="${a.outcome ?? 'in_flight'}">
<td><a href="${base}/documents/${a.document_id}">${docName(a)}</a></td>
<td>${a.source_version}</td>
<td>${when(a.started_at)}</td>
<td>${when(a.finished_at)}</td>
<td>${a.outcome ? statusBadge(a.outcome) : 'in flight'}</td>
<td>${itemWords(a.provider_errors, null).map((w) => html`<span class="provider-error">${w}</span> `)}</td>
</tr>`)}</tbody></table>`}`;
      const summary = Object.entries(run.summary ?? {}).filter(([k]) => k !== 'dry_run');
      return c.html(
        page(
          { title: `${RUN_KIND_WORDS[run.kind] ?? label(run.kind)}${run.dry_run ? ' (dry run)' : ''}, ${run.created_at.toISOString().replace('T', ' ').slice(0, 16)} UTC`, session, tenantId, section: 'runs', notice },
          html`<p><a href="${base}/runs">← Sync history</a></p>
<dl class="facts">
<dt>Status</dt><dd data-run-status="${run.status}">${statusBadge(run.status)}</dd>
<dt>Trigger</dt><dd>${TRIGGER_WORDS[run.trigger] ?? label(run.trigger)}</dd>
<dt>Queued</dt><dd>${when(run.created_at)}</dd>
<dt>Started</dt><dd>${when(run.started_at)}</dd>
<dt>Finished</dt><dd>${when(run.finished_at)}</dd>
<dt>Items</dt><dd>${counts(run)}</dd>
${outcomeWords(run) ? html`<dt>Outcome</dt><dd>${outcomeWords(run)}</dd>` : ''}
${summary.length ? html`<dt>Summary</dt><dd>${summary.map(([k, value]) => `${label(k)}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`).join(' · ')}</dd>` : ''}
${active(run) && Object.keys(run.progress ?? {}).length ? html`<dt>Progress</dt><dd>${Object.entries(run.progress).map(([k, value]) => `${label(k)}: ${String(value ?? '-')}`).join(' · ')}</dd>` : ''}
</dl>
${run.dry_run ? html`<p class="note">A dry run asks the provider and counts; it changes nothing. Start the real import from <a href="${base}/runs">Sync history</a>.</p>` : ''}
<h2>Items</h2>
${itemTable}
${attemptTable}`,
        ),
      );
    });
}
