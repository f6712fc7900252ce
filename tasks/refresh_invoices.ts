import type { Task } from 'graphile-worker';
import * as v from 'valibot';
import { refreshInvoices } from '../src/sync/payments/refresh.ts';
import type { TaskDeps } from './deps.ts';
import { parsePayload } from './payload.ts';

const Payload = v.object({ tenant_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)) });

/** Payments in: reads the tenant's invoices waiting to be read back, and continues while more wait. */
export function refreshInvoicesTask(deps: TaskDeps): Task {
  return async (raw, helpers) => {
    const payload = parsePayload(Payload, raw, helpers);
    if (!payload) return;
    const result = await refreshInvoices(deps, payload.tenant_id);
    if (result.kind === 'again') {
      await helpers.addJob('refresh_invoices', { tenant_id: payload.tenant_id }, { jobKey: `refresh_invoices:${payload.tenant_id}`, runAt: result.runAt });
    }
  };
}
