import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import { requireSession } from '../../connections/tenant-session.ts';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors.ts';
import { isoTimestamp } from '../../ingest/ops-envelope.ts';
import { cachedCatalog } from '../../providers/catalog.ts';
import { ProviderError } from '../../providers/types.ts';
import { listContacts, listPurchaseOrders } from '../../sync/imports/records-repo.ts';
import { startImport } from '../../sync/imports/start.ts';
import { getRun } from '../../sync/runs.ts';
import { requireTenant } from '../../sync/documents-repo.ts';
import type { AppEnv } from '../env.ts';
import { decodeCursor, limitParam, pageOf, parseInput } from '../validate.ts';
import { runBody } from './sync-runs.ts';

const ImportQuery = v.object({ dry_run: v.optional(v.picklist(['true', 'false']), 'false') });
const ContactsQuery = v.object({
  updated_since: v.optional(
    v.pipe(
      isoTimestamp,
      // It becomes a Date: one JavaScript cannot read (e.g. a `+01` offset without minutes) would reach the query as an invalid Date.
      v.check((s) => !Number.isNaN(new Date(s).getTime()), 'must be an ISO 8601 timestamp such as 2026-11-01T00:00:00Z'),
    ),
  ),
  cursor: v.optional(v.string()),
  limit: limitParam,
});
const PurchaseOrdersQuery = v.object({ status: v.optional(v.picklist(['open', 'closed'])), cursor: v.optional(v.string()), limit: limitParam });
const CatalogQuery = v.object({ refresh: v.optional(v.picklist(['true', 'false']), 'false') });

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** Provider trouble while serving a read is the provider's, not the caller's: 502 with its words. */
function providerUnavailable(error: unknown): never {
  if (error instanceof ProviderError) throw new AppError(502, 'provider_unavailable', `the accounting provider could not be read: ${error.message}`);
  throw error;
}

export function recordRoutes(ctx: AppContext) {
  const sessionDeps = ctx.providerDeps;
  const startRoute = (kind: 'contacts' | 'purchase_orders') => async (c: Context<AppEnv>) => {
    const tenantId = c.req.param('tenant_id')!;
    const query = parseInput(ImportQuery, c.req.query(), 'query parameters');
    await requireTenant(ctx.db, tenantId);
    const { runId, existing } = await startImport(ctx.db, { tenantId, kind, trigger: 'manual', dryRun: query.dry_run === 'true' });
    const run = await getRun(ctx.db, tenantId, runId);
    return c.json({ ...runBody(run!), already_running: existing }, 202);
  };
  return new Hono<AppEnv>()
    .post('/imports/contacts', startRoute('contacts'))
    .post('/imports/purchase-orders', startRoute('purchase_orders'))
    .get('/contacts', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const query = parseInput(ContactsQuery, c.req.query(), 'query parameters');
      const afterSeq = decodeCursor(query.cursor);
      await requireTenant(ctx.db, tenantId);
      const rows = await listContacts(ctx.db, { tenantId, updatedSince: query.updated_since ? new Date(query.updated_since) : undefined, afterSeq, limit: query.limit + 1 });
      const { page, nextCursor } = pageOf(rows, query.limit, (row) => row.change_seq);
      return c.json({
        data: page.map((r) => ({
          provider: r.provider,
          provider_contact_id: r.provider_contact_id,
          platform_contact_id: r.platform_contact_id ?? null,
          name: r.name,
          email: r.email,
          phones: r.phones,
          addresses: r.addresses,
          tax_number: r.tax_number,
          is_customer: r.is_customer,
          is_supplier: r.is_supplier,
          archived: r.archived,
          provider_updated_at: iso(r.provider_updated_at),
          updated_at: r.updated_at.toISOString(),
        })),
        next_cursor: nextCursor,
      });
    })
    .get('/purchase-orders', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const query = parseInput(PurchaseOrdersQuery, c.req.query(), 'query parameters');
      const afterSeq = decodeCursor(query.cursor);
      await requireTenant(ctx.db, tenantId);
      const rows = await listPurchaseOrders(ctx.db, { tenantId, status: query.status, afterSeq, limit: query.limit + 1 });
      const { page, nextCursor } = pageOf(rows, query.limit, (row) => row.change_seq);
      return c.json({
        data: page.map((r) => ({
          provider: r.provider,
          provider_po_id: r.provider_po_id,
          number: r.number,
          reference: r.reference,
          status: r.status,
          provider_status: r.provider_status,
          supplier: { ...(r.supplier as { id: string; name: string }), platform_contact_id: r.platform_contact_id ?? null },
          lines: r.lines,
          currency: r.currency,
          issue_date: r.issue_date,
          delivery_date: r.delivery_date,
          total: r.total,
          provider_updated_at: iso(r.provider_updated_at),
          closed_at: iso(r.closed_at),
          updated_at: r.updated_at.toISOString(),
        })),
        next_cursor: nextCursor,
      });
    })
    .get('/accounts', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const query = parseInput(CatalogQuery, c.req.query(), 'query parameters');
      await requireTenant(ctx.db, tenantId);
      const { provider, session } = await requireSession(sessionDeps, tenantId);
      const { data, fetchedAt } = await cachedCatalog(ctx.db, provider.records, session, 'accounts', { refresh: query.refresh === 'true' }).catch(providerUnavailable);
      return c.json({ data, fetched_at: fetchedAt.toISOString() });
    })
    .get('/tax-rates', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const query = parseInput(CatalogQuery, c.req.query(), 'query parameters');
      await requireTenant(ctx.db, tenantId);
      const { provider, session } = await requireSession(sessionDeps, tenantId);
      const { data, fetchedAt } = await cachedCatalog(ctx.db, provider.records, session, 'tax_rates', { refresh: query.refresh === 'true' }).catch(providerUnavailable);
      return c.json({
        data: data.map((r) => ({ code: r.code, name: r.name, rate: r.rate, status: r.status, applies_to_sales: r.appliesToSales, applies_to_purchases: r.appliesToPurchases })),
        fetched_at: fetchedAt.toISOString(),
      });
    });
}
