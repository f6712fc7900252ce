import { Hono } from 'hono';
import { html } from 'hono/html';
import * as v from 'valibot';
import type { AppContext } from '../../context.ts';
import type { BillStatus, DocumentKind, DocumentStatus } from '../../db/schema.ts';
import { AppError } from '../../errors.ts';
import { DOCUMENT_KINDS } from '../../providers/capabilities.ts';
import { pushManually, retryAllFailed, retryFailed, setBillStatus } from '../../sync/document-actions.ts';
import { getDocumentWithHistory } from '../../sync/documents-repo.ts';
import { encodeCursor } from '../../http/validate.ts';
import { pageCursor } from '../paging.ts';
import { textStream } from '../../http/text-stream.ts';
import { documentsCsv } from '../../exports/documents-csv.ts';
import { EXPORT_KINDS, type ExportKind } from '../../exports/xero-invoice-template.ts';
import { consoleError, type ConsoleEnv } from '../app.ts';
import { actionForm, csrfField, page, tenantBase, when, type Html } from '../layout.ts';
import { providerLink } from '../provider-links.ts';
import { searchDocuments, statusCounts } from '../queries.ts';
import type { ConsoleSession } from '../sessions.ts';

const STATUSES: readonly DocumentStatus[] = ['received', 'held', 'queued', 'pushing', 'synced', 'uncertain', 'failed', 'voided'];
const BILL_STATUSES: readonly BillStatus[] = ['not_billed', 'partly_billed', 'billed'];
const PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const Filters = v.object({
  kind: v.optional(v.union([v.literal(''), v.picklist(DOCUMENT_KINDS as readonly DocumentKind[])]), ''),
  status: v.optional(v.union([v.literal(''), v.picklist(STATUSES)]), ''),
  q: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(200)), ''),
  cursor: v.optional(v.string()),
  notice: v.optional(v.pipe(v.string(), v.maxLength(300))),
});

const label = (s: string) => s.replace(/_/g, ' ');
const statusBadge = (status: string) => html`<span class="status status-${status}">${label(status)}</span>`;

/** The provider's own words from a document's last error, one per line. */
function providerWords(lastError: unknown): string[] {
  const e = lastError as { provider_errors?: { message?: string; field?: string }[]; message?: string } | null;
  if (!e) return [];
  if (Array.isArray(e.provider_errors) && e.provider_errors.length > 0) return e.provider_errors.map((p) => (p.field ? `${p.field}: ${p.message ?? ''}` : String(p.message ?? '')));
  return e.message ? [e.message] : [JSON.stringify(e)];
}

function documentId(value: string): string {
  if (!UUID.test(value)) throw consoleError(404, 'There is no such document.');
  return value;
}

/** Runs an action and comes back to `to` with its outcome as a notice (Post/Redirect/Get). */
async function act(to: string, run: () => Promise<string>): Promise<string> {
  try {
    return `${to}${to.includes('?') ? '&' : '?'}notice=${encodeURIComponent(await run())}`;
  } catch (error) {
    if (error instanceof AppError && error.status < 500 && error.status !== 404) return `${to}${to.includes('?') ? '&' : '?'}notice=${encodeURIComponent(error.message)}`;
    throw error;
  }
}

function filterForm(base: string, f: v.InferOutput<typeof Filters>, counts: Map<DocumentStatus, number>): Html {
  return html`<form method="get" action="${base}/documents" class="filters" role="search">
<label>Kind <select name="kind"><option value="">all</option>${(DOCUMENT_KINDS as readonly string[]).map((k) => html`<option value="${k}"${f.kind === k ? ' selected' : ''}>${label(k)}</option>`)}</select></label>
<label>Status <select name="status"><option value="">all</option>${STATUSES.map((s) => html`<option value="${s}"${f.status === s ? ' selected' : ''}>${label(s)} (${counts.get(s) ?? 0})</option>`)}</select></label>
<label>Number or reference <input type="search" name="q" value="${f.q}" maxlength="200"></label>
<button type="submit">Filter</button>
</form>`;
}

function bulkActions(session: ConsoleSession, base: string, failed: number): Html {
  if (failed === 0) return '' as unknown as Html;
  return html`<div class="actions">${actionForm(session, `${base}/documents/retry-failed`, `Retry all ${failed} failed`, { style: 'primary', confirm: `Retry all ${failed} failed documents?` })}</div>`;
}

export function documentPages(ctx: AppContext) {
  return new Hono<ConsoleEnv>()
    .get('/documents', async (c) => {
      const tenantId = c.get('tenantId');
      const session = c.get('session');
      const base = tenantBase(tenantId);
      const parsed = v.safeParse(Filters, c.req.query());
      if (!parsed.success) throw consoleError(400, `Those filters are not valid: ${parsed.issues.map((i) => i.message).join('; ')}.`);
      const f = parsed.output;
      const beforeSeq = pageCursor(f.cursor);
      const [rows, counts, connection] = await Promise.all([
        searchDocuments(ctx.db, { tenantId, kind: f.kind || undefined, status: f.status || undefined, q: f.q || undefined, beforeSeq, limit: PAGE_SIZE + 1 }),
        statusCounts(ctx.db, tenantId),
        ctx.db.selectFrom('connections').select('provider').where('tenant_id', '=', tenantId).executeTakeFirst(),
      ]);
      const shown = rows.slice(0, PAGE_SIZE);
      const next = rows.length > PAGE_SIZE ? new URLSearchParams({ kind: f.kind, status: f.status, q: f.q, cursor: encodeCursor(shown.at(-1)!.seq) }) : null;
      const table = shown.length === 0
        ? html`<p class="empty">No documents match.</p>`
        : html`<table><caption>Documents, newest first</caption>
<thead><tr><th scope="col">Document</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Provider number</th><th scope="col">Last error</th><th scope="col">Updated</th></tr></thead>
<tbody>${shown.map((d) => {
            const source = d.source as { number?: string; reference?: string };
            const link = connection ? providerLink(connection.provider, d.kind, d.provider_id) : null;
            const words = providerWords(d.last_error);
            return html`<tr data-status="${d.status}">
<td><a href="${base}/documents/${d.id}">${source.number ?? d.source_id}</a><br><small>${d.source_id} v${d.source_version}${source.reference ? ` · ${source.reference}` : ''}</small></td>
<td>${label(d.kind)}</td>
<td>${statusBadge(d.status)}${d.status_reason && d.status !== 'synced' && d.status !== 'failed' ? html`<br><small>${d.status_reason}</small>` : ''}</td>
<td>${d.provider_number ?? '-'}${link ? html` <a href="${link}" target="_blank" rel="noopener noreferrer">open<span class="visually-hidden"> in the provider</span></a>` : ''}</td>
<td>${words.length ? html`<span class="provider-error">${words[0]}</span>` : '-'}</td>
<td>${when(d.updated_at)}</td>
</tr>`;
          })}</tbody></table>`;
      return c.html(
        page(
          { title: 'Documents', session, tenantId, section: 'documents', notice: f.notice },
          html`${filterForm(base, f, counts)}${bulkActions(session, base, counts.get('failed') ?? 0)}${table}${next ? html`<p><a href="${base}/documents?${next.toString()}" rel="next">Older documents</a></p>` : ''}
<p>Download as CSV, in Xero's sales-invoice import layout: ${EXPORT_KINDS.map((k, i) => html`${i ? ' · ' : ''}<a href="${base}/exports/documents.csv?kind=${k}" download>${label(k)}s</a>`)}</p>`,
        ),
      );
    })
    // The same export as GET /v1/tenants/{t}/exports/documents.csv, for the console's session.
    .get('/exports/documents.csv', (c) => {
      const tenantId = c.get('tenantId');
      const kind = EXPORT_KINDS.find((k) => k === (c.req.query('kind') ?? 'sales_invoice')) as ExportKind | undefined;
      if (!kind) throw consoleError(400, 'Choose one of the kinds offered for the export.');
      const body = textStream(documentsCsv(ctx.db, { tenantId, kind }), (error) => ctx.logger.error({ err: error, tenantId }, 'console export failed midway; response aborted'));
      return c.body(body, 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${kind}.csv"` });
    })
    .post('/documents/retry-failed', async (c) => {
      const tenantId = c.get('tenantId');
      const base = tenantBase(tenantId);
      const to = await act(`${base}/documents`, async () => {
        const { count } = await retryAllFailed(ctx.db, ctx.logger, tenantId, {});
        return `${count} failed document(s) queued to be sent again.`;
      });
      return c.redirect(to, 303);
    })
    .get('/documents/:document_id', async (c) => {
      const tenantId = c.get('tenantId');
      const session = c.get('session');
      const base = tenantBase(tenantId);
      const found = await getDocumentWithHistory(ctx.db, tenantId, documentId(c.req.param('document_id')));
      if (!found) throw consoleError(404, 'There is no such document.');
      const { doc, history, attempts } = found;
      const connection = await ctx.db.selectFrom('connections').select('provider').where('tenant_id', '=', tenantId).executeTakeFirst();
      const link = connection ? providerLink(connection.provider, doc.kind, doc.provider_id) : null;
      const source = doc.source as { number?: string; reference?: string };
      const words = providerWords(doc.last_error);
      const here = `${base}/documents/${doc.id}`;
      const actions = [
        doc.status === 'failed' ? actionForm(session, `${here}/retry`, 'Retry', { style: 'primary' }) : '',
        doc.status === 'held' ? actionForm(session, `${here}/push`, 'Push now', { style: 'primary' }) : '',
      ];
      const billForm = doc.kind === 'supplier_bill'
        ? html`<form method="post" action="${here}/bill-status" class="inline">${csrfField(session)}<label>Bill status <select name="bill_status">${BILL_STATUSES.map((s) => html`<option value="${s}"${doc.bill_status === s ? ' selected' : ''}>${label(s)}</option>`)}</select></label> <button type="submit">Save bill status</button></form>`
        : '';
      const notice = c.req.query('notice')?.slice(0, 300);
      return c.html(
        page(
          { title: `${label(doc.kind)} ${source.number ?? doc.source_id}`, session, tenantId, section: 'documents', notice },
          html`<p><a href="${base}/documents">← All documents</a></p>
<dl class="facts">
<dt>Status</dt><dd data-document-status="${doc.status}">${statusBadge(doc.status)}${doc.status_reason ? html` — ${doc.status_reason}` : ''}</dd>
<dt>Platform id</dt><dd>${doc.source_id} (version ${doc.source_version}${doc.synced_version ? `, version ${doc.synced_version} at the provider` : ''})</dd>
${source.reference ? html`<dt>Reference</dt><dd>${source.reference}</dd>` : ''}
<dt>Provider number</dt><dd>${doc.provider_number ?? '-'}${link ? html` · <a href="${link}" target="_blank" rel="noopener noreferrer">open in the provider</a>` : ''}</dd>
${doc.amount_due !== null ? html`<dt>Paid / due</dt><dd>${doc.amount_paid ?? '-'} / ${doc.amount_due}</dd>` : ''}
${doc.kind === 'supplier_bill' ? html`<dt>Bill status</dt><dd>${label(doc.bill_status ?? 'not_billed')}</dd>` : ''}
</dl>
${words.length ? html`<section aria-labelledby="err"><h2 id="err">Last error, in the provider's words</h2><ul class="provider-errors">${words.map((w) => html`<li>${w}</li>`)}</ul></section>` : ''}
<div class="actions">${actions}${billForm}</div>
<h2>History</h2>
<table><caption>Every status change</caption><thead><tr><th scope="col">When</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Why</th></tr></thead>
<tbody>${history.map((h) => html`<tr><td>${when(h.at)}</td><td>${h.from_status ? label(h.from_status) : '-'}</td><td>${label(h.to_status)}</td><td>${h.reason ?? ''}</td></tr>`)}</tbody></table>
<h2>Attempts</h2>
${attempts.length === 0 ? html`<p class="empty">Not sent yet.</p>` : html`<table><caption>Each time it was sent</caption><thead><tr><th scope="col">Started</th><th scope="col">Version</th><th scope="col">Outcome</th><th scope="col">Provider's answer</th></tr></thead>
<tbody>${attempts.map((a) => html`<tr><td>${when(a.started_at)}</td><td>${a.source_version}</td><td>${a.outcome ?? 'in flight'}</td><td>${((a.provider_errors as { message?: string }[] | null) ?? []).map((e) => html`<span class="provider-error">${e.message ?? ''}</span> `)}</td></tr>`)}</tbody></table>`}`,
        ),
      );
    })
    .post('/documents/:document_id/retry', async (c) => {
      const tenantId = c.get('tenantId');
      const id = documentId(c.req.param('document_id'));
      const here = `${tenantBase(tenantId)}/documents/${id}`;
      return c.redirect(await act(here, async () => (await retryFailed(ctx.db, ctx.logger, tenantId, id), 'Queued to be sent again.')), 303);
    })
    .post('/documents/:document_id/push', async (c) => {
      const tenantId = c.get('tenantId');
      const id = documentId(c.req.param('document_id'));
      const here = `${tenantBase(tenantId)}/documents/${id}`;
      return c.redirect(await act(here, async () => (await pushManually(ctx.db, ctx.logger, tenantId, id), 'Queued to be sent now.')), 303);
    })
    .post('/documents/:document_id/bill-status', async (c) => {
      const tenantId = c.get('tenantId');
      const id = documentId(c.req.param('document_id'));
      const body = await c.req.parseBody();
      const status = BILL_STATUSES.find((s) => s === body.bill_status);
      if (!status) throw consoleError(400, 'Choose one of the bill statuses offered.');
      const here = `${tenantBase(tenantId)}/documents/${id}`;
      return c.redirect(await act(here, async () => (await setBillStatus(ctx.db, tenantId, id, status), `Bill status set to ${label(status)}.`)), 303);
    });
}
