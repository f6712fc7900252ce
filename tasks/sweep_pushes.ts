import { sql } from 'kysely';
import type { Task } from 'graphile-worker';
import { enqueuePush } from '../src/jobs.ts';
import type { TaskDeps } from './deps.ts';

/**
 * Runs at worker start and every minute: every tenant with documents waiting to be pushed or
 * settled gets its push job. This is what recovers the work of a worker that was killed while
 * its job was locked (graphile-worker only frees such jobs after hours).
 */
export function sweepPushesTask(deps: TaskDeps): Task {
  return async () => {
    const { rows } = await sql<{ tenant_id: string }>`
      select distinct d.tenant_id from documents d
      join connections c on c.tenant_id = d.tenant_id and c.status = 'connected'
      where d.status in ('queued', 'pushing', 'uncertain')`.execute(deps.db);
    for (const { tenant_id } of rows) await enqueuePush(deps.db, tenant_id, deps.now());
    if (rows.length > 0) deps.logger.info({ tenants: rows.length }, 'push sweep scheduled tenants with pending documents');
  };
}
