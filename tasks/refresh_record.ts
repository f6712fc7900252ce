import type { Task } from 'graphile-worker';
import * as v from 'valibot';
import { refreshRecord } from '../src/sync/imports/refresh.ts';
import { refreshPayment } from '../src/sync/payments/refresh.ts';
import type { TaskDeps } from './deps.ts';
import { parsePayload } from './payload.ts';

const Payload = v.object({
  tenant_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  kind: v.picklist(['contact', 'purchase_order', 'payment']),
  provider_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
});

/** A provider webhook named a changed record: read it and apply it (a sync run of its own). */
export function refreshRecordTask(deps: TaskDeps): Task {
  return async (raw, helpers) => {
    const payload = parsePayload(Payload, raw, helpers);
    if (!payload) return;
    if (payload.kind === 'payment') await refreshPayment(deps, payload.tenant_id, payload.provider_id);
    else await refreshRecord(deps, payload.tenant_id, payload.kind, payload.provider_id);
  };
}
