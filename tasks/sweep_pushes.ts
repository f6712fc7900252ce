import { sql } from 'kysely';
import type { Task } from 'graphile-worker';
import { addJobs, enqueuePush } from '../src/jobs.ts';
import type { TaskDeps } from './deps.ts';

/** A document still `received` this long after it changed has lost its routing job (or is about to be routed anyway). */
const ROUTE_STALE_SECONDS = 30;
/** Routing jobs queued again per sweep at most (the oldest first), so a long backlog costs few extra jobs. */
const ROUTE_SWEEP_LIMIT = 1_000;

/**
 * Runs at worker start and every minute: every tenant with documents waiting to be pushed or
 * settled gets its push job, and every document left `received` gets its routing job again
 * (routing a routed document does nothing). This is what recovers the work of a worker that was
 * killed while its jobs were locked (graphile-worker only frees such jobs after hours).
 */
export function sweepPushesTask(deps: TaskDeps): Task {
  return async () => {
    const { rows } = await sql<{ tenant_id: string }>`
      select distinct d.tenant_id from documents d
      join connections c on c.tenant_id = d.tenant_id and c.status = 'connected'
      where d.status in ('queued', 'pushing', 'uncertain')`.execute(deps.db);
    for (const { tenant_id } of rows) await enqueuePush(deps.db, tenant_id, deps.now());
    if (rows.length > 0) deps.logger.info({ tenants: rows.length }, 'push sweep scheduled tenants with pending documents');

    const { rows: unrouted } = await sql<{ id: string }>`
      select id from documents
      where status = 'received' and updated_at < now() - make_interval(secs => ${ROUTE_STALE_SECONDS})
      order by updated_at limit ${ROUTE_SWEEP_LIMIT}`.execute(deps.db);
    await addJobs(deps.db, unrouted.map((d) => ({ task: 'route_document' as const, payload: { document_id: d.id }, jobKey: `route_document:${d.id}` })), { preserveRunAt: true });
    if (unrouted.length > 0) deps.logger.info({ documents: unrouted.length }, 'push sweep queued routing again for documents left received');
  };
}
