import { sql } from 'kysely';
import type { Task } from 'graphile-worker';
import { RECONCILIATION_RUN_KIND, startReconciliation } from '../src/sync/reconcile/repo.ts';
import type { TaskDeps } from './deps.ts';

/** A scheduled reconciliation looks at the documents issued in the last 90 days. */
export const SCHEDULED_DAYS = 90;
const INTERVALS = { daily: '1 day', weekly: '7 days' } as const;

/**
 * Cron: starts a reconciliation for each connected tenant whose posting defaults ask for one
 * (`reconcile_schedule`: daily or weekly) and whose last scheduled one is older than that, unless
 * one (of any trigger) is still queued or running. graphile-worker runs a cron item once across all
 * workers, so nothing is started twice.
 */
export function scheduleReconciliationsTask(deps: TaskDeps): Task {
  return async () => {
    const { rows } = await sql<{ tenant_id: string }>`
      select c.tenant_id
      from connections c
      join lateral (select settings from posting_defaults d where d.tenant_id = c.tenant_id order by version desc limit 1) d on true
      where c.status = 'connected'
        and d.settings->>'reconcile_schedule' in ('daily', 'weekly')
        and not exists (
          select 1 from sync_runs r
          where r.tenant_id = c.tenant_id and r.kind = ${RECONCILIATION_RUN_KIND}
            and (r.status in ('queued', 'running')
              or r.trigger = 'schedule' and r.created_at > now() - (case d.settings->>'reconcile_schedule'
                   when 'daily' then interval '${sql.raw(INTERVALS.daily)}'
                   else interval '${sql.raw(INTERVALS.weekly)}' end) + interval '5 minutes'))`.execute(deps.db);
    const today = deps.now();
    const from = new Date(today.getTime() - SCHEDULED_DAYS * 86_400_000).toISOString().slice(0, 10);
    for (const { tenant_id } of rows) {
      const runId = await startReconciliation(deps.db, { tenantId: tenant_id, trigger: 'schedule', scope: { kind: null, from, to: today.toISOString().slice(0, 10) } });
      deps.logger.info({ tenantId: tenant_id, runId }, 'scheduled reconciliation queued');
    }
  };
}
