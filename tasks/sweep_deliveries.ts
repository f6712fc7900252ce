import { sql } from 'kysely';
import type { Task } from 'graphile-worker';
import { addJobs } from '../src/jobs.ts';
import { deliveryJobKey } from '../src/feed/append.ts';
import type { TaskDeps } from './deps.ts';

/**
 * Runs at worker start and every minute when outbound webhooks are configured: every tenant
 * with undelivered feed events gets its delivery job (at the event's own backoff time). This is
 * what recovers a delivery whose worker died while its job was locked.
 */
export function sweepDeliveriesTask(deps: TaskDeps): Task {
  return async () => {
    if (!deps.feed.delivers) return;
    const { rows } = await sql<{ tenant_id: string; run_at: Date | null }>`
      select tenant_id, min(next_attempt_at) as run_at from outbound_events
      where delivered_at is null group by tenant_id`.execute(deps.db);
    await addJobs(
      deps.db,
      rows.map((r) => ({ task: 'deliver_events' as const, payload: { tenant_id: r.tenant_id }, jobKey: deliveryJobKey(r.tenant_id), runAt: r.run_at ?? undefined })),
      { preserveRunAt: true },
    );
  };
}
