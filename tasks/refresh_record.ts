import type { Task } from 'graphile-worker';
import * as v from 'valibot';
import { refreshRecord } from '../src/sync/imports/refresh.ts';
import { refreshPayment } from '../src/sync/payments/refresh.ts';
import { requestInvoiceRefresh } from '../src/sync/payments/refresh-queue.ts';
import type { TaskDeps } from './deps.ts';
import { parsePayload } from './payload.ts';

const Payload = v.object({
  tenant_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  kind: v.picklist(['contact', 'purchase_order', 'invoice', 'payment']),
  provider_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
});

/** A provider webhook named a changed record: read it and apply it (a sync run of its own). */
export function refreshRecordTask(deps: TaskDeps): Task {
  return async (raw, helpers) => {
    const payload = parsePayload(Payload, raw, helpers);
    if (!payload) return;
    if (payload.kind === 'payment') await refreshPayment(deps, payload.tenant_id, payload.provider_id);
    else if (payload.kind === 'invoice') await requestInvoiceRefresh(deps.db, payload.tenant_id, { providerIds: [payload.provider_id] }, { now: deps.now() });
    else await refreshRecord(deps, payload.tenant_id, payload.kind, payload.provider_id);
  };
}
