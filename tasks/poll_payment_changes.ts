import type { Task } from 'graphile-worker';
import * as v from 'valibot';
import { pollPaymentChanges } from '../src/sync/payments/poll.ts';
import type { TaskDeps } from './deps.ts';
import { parsePayload } from './payload.ts';

const Payload = v.object({ tenant_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)) });

/** Payments in without webhooks: one poll of the tenant's provider changes, continued while the provider has more. */
export function pollPaymentChangesTask(deps: TaskDeps): Task {
  return async (raw, helpers) => {
    const payload = parsePayload(Payload, raw, helpers);
    if (!payload) return;
    const result = await pollPaymentChanges(deps, payload.tenant_id);
    if (result.kind === 'again') {
      await helpers.addJob('poll_payment_changes', { tenant_id: payload.tenant_id }, { jobKey: `poll_payment_changes:${payload.tenant_id}`, runAt: result.runAt });
    }
  };
}
