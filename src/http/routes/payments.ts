import { Hono } from 'hono';
import * as v from 'valibot';
import type { AppContext } from '../../context.ts';
import type { PaymentAllocation } from '../../db/schema.ts';
import { requireTenant } from '../../sync/documents-repo.ts';
import { listPayments } from '../../sync/payments/repo.ts';
import type { AppEnv } from '../env.ts';
import { decodeCursor, limitParam, pageOf, parseInput } from '../validate.ts';

const PaymentsQuery = v.object({
  origin: v.optional(v.picklist(['ledgerport', 'provider'])),
  status: v.optional(v.picklist(['active', 'deleted'])),
  cursor: v.optional(v.string()),
  limit: limitParam,
});

/** Payments as the provider holds them: received there (payments in) and made by Ledgerport. */
export function paymentRoutes(ctx: AppContext) {
  return new Hono<AppEnv>().get('/payments', async (c) => {
    const tenantId = c.req.param('tenant_id')!;
    const query = parseInput(PaymentsQuery, c.req.query(), 'query parameters');
    const beforeSeq = decodeCursor(query.cursor);
    await requireTenant(ctx.db, tenantId);
    const rows = await listPayments(ctx.db, { tenantId, origin: query.origin, status: query.status, beforeSeq, limit: query.limit + 1 });
    const { page, nextCursor } = pageOf(rows, query.limit, (row) => row.seq);
    return c.json({
      data: page.map((r) => ({
        provider: r.provider,
        provider_payment_id: r.provider_payment_id,
        origin: r.origin,
        document_id: r.document_id,
        status: r.status,
        date: r.date,
        amount: r.amount,
        currency: r.currency,
        reference: r.reference,
        unapplied_amount: r.unapplied,
        allocations: r.allocations as PaymentAllocation[],
        created_at: r.created_at.toISOString(),
        updated_at: r.updated_at.toISOString(),
      })),
      next_cursor: nextCursor,
    });
  });
}
