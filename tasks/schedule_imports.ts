import { sql } from 'kysely';
import type { Task } from 'graphile-worker';
import { startImport } from '../src/sync/imports/start.ts';
import type { TaskDeps } from './deps.ts';

const INTERVALS = { hourly: '1 hour', every_6_hours: '6 hours', daily: '1 day' } as const;

/**
 * Cron: finds the tenants whose purchase order import is due by their posting defaults and
 * queues one. graphile-worker runs a cron item once across all workers, and startImport returns
 * the queued or running run instead of adding another, so nothing is double-run.
 */
export function scheduleImportsTask(deps: TaskDeps): Task {
  return async () => {
    const { rows } = await sql<{ tenant_id: string }>`
      select c.tenant_id
      from connections c
      join lateral (select settings from posting_defaults d where d.tenant_id = c.tenant_id order by version desc limit 1) d on true
      left join import_state s on s.tenant_id = c.tenant_id and s.kind = 'purchase_orders'
      where c.status = 'connected'
        and d.settings->>'po_import_schedule' in ('hourly', 'every_6_hours', 'daily')
        and (s.last_run_at is null or s.last_run_at < now() - (case d.settings->>'po_import_schedule'
              when 'hourly' then interval '${sql.raw(INTERVALS.hourly)}'
              when 'every_6_hours' then interval '${sql.raw(INTERVALS.every_6_hours)}'
              else interval '${sql.raw(INTERVALS.daily)}' end))`.execute(deps.db);
    for (const { tenant_id } of rows) {
      const { runId, existing } = await startImport(deps.db, { tenantId: tenant_id, kind: 'purchase_orders', trigger: 'schedule', dryRun: false });
      if (!existing) deps.logger.info({ tenantId: tenant_id, runId }, 'scheduled purchase order import queued');
    }
  };
}
