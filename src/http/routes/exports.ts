import { Hono } from 'hono';
import * as v from 'valibot';
import type { AppContext } from '../../context.ts';
import { documentsCsv } from '../../exports/documents-csv.ts';
import { EXPORT_KINDS } from '../../exports/xero-invoice-template.ts';
import { isoDate } from '../../ingest/ops-envelope.ts';
import { requireTenant } from '../../sync/documents-repo.ts';
import type { AppEnv } from '../env.ts';
import { textStream } from '../text-stream.ts';
import { parseInput } from '../validate.ts';

const ExportQuery = v.pipe(
  v.object({
    kind: v.optional(v.picklist(EXPORT_KINDS), 'sales_invoice'),
    from: v.optional(isoDate),
    to: v.optional(isoDate),
  }),
  v.forward(
    v.partialCheck([['from'], ['to']], (q) => !q.from || !q.to || q.to >= q.from, 'must be on or after from'),
    ['to'],
  ),
);

/** Only what is safe in a quoted filename anywhere: letters, digits, `_`, `-` and `.`. */
const fileSafe = (value: string) => value.replace(/[^A-Za-z0-9_.-]/g, '_');

export function exportRoutes(ctx: AppContext) {
  return new Hono<AppEnv>().get('/exports/documents.csv', async (c) => {
    const tenantId = c.req.param('tenant_id')!;
    const query = parseInput(ExportQuery, c.req.query(), 'query parameters');
    await requireTenant(ctx.db, tenantId);
    const range = query.from || query.to ? `-${query.from ?? 'start'}-to-${query.to ?? 'end'}` : '';
    const filename = fileSafe(`${tenantId}-${query.kind}${range}.csv`);
    const requestId = c.get('requestId');
    const body = textStream(documentsCsv(ctx.db, { tenantId, kind: query.kind, from: query.from, to: query.to }), (error) =>
      ctx.logger.error({ err: error, requestId, tenantId }, 'document export failed midway; response aborted'),
    );
    return c.body(body, 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="${filename}"`,
      'cache-control': 'no-store',
    });
  });
}
