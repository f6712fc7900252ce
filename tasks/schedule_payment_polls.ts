import type { Task } from 'graphile-worker';
import { tenantsToPoll } from '../src/sync/payments/poll.ts';
import type { TaskDeps } from './deps.ts';

/**
 * Cron: queues one poll_payment_changes per tenant whose provider has change data capture
 * (QuickBooks), keyed per tenant so a poll still waiting is not queued twice.
 */
export function schedulePaymentPollsTask(deps: TaskDeps): Task {
  return async (_payload, helpers) => {
    const providers = Object.values(deps.providers).flatMap((p) => (p?.records.paymentChanges ? [p.name] : []));
    const tenants = await tenantsToPoll(deps.db, providers);
    for (const tenantId of tenants) {
      await helpers.addJob('poll_payment_changes', { tenant_id: tenantId }, { jobKey: `poll_payment_changes:${tenantId}`, jobKeyMode: 'preserve_run_at' });
    }
    if (tenants.length > 0) deps.logger.info({ tenants: tenants.length }, 'payment change polls queued');
  };
}
