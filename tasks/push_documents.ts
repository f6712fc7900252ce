import type { Task } from 'graphile-worker';
import * as v from 'valibot';
import { pushTenantDocuments } from '../src/sync/push/run.ts';
import type { TaskDeps } from './deps.ts';
import { parsePayload } from './payload.ts';
import { withTraceContext } from '../src/observability/trace-context.ts';
import { nudgeWorkersAt, PUSH_JOB_PRIORITY, pushJobKey } from '../src/jobs.ts';

// traceparent: the trace of what scheduled the push (addJobs); read by observability/jobs.ts.
const Payload = v.object({ tenant_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)), traceparent: v.optional(v.string()) });

/**
 * Pushes a tenant's queued documents in batches. When it must wait (rate limit, unknown
 * outcome backoff, shutdown) it schedules its own continuation instead of holding a worker slot.
 */
export function pushDocumentsTask(deps: TaskDeps): Task {
  return async (raw, helpers) => {
    const payload = parsePayload(Payload, raw, helpers);
    if (!payload) return;
    const result = await pushTenantDocuments(deps, payload.tenant_id, { signal: helpers.abortSignal });
    if (result.kind === 'reschedule') {
      await helpers.addJob('push_documents', withTraceContext({ tenant_id: payload.tenant_id }), {
        jobKey: pushJobKey(payload.tenant_id),
        runAt: result.runAt,
        priority: PUSH_JOB_PRIORITY,
      });
      nudgeWorkersAt(deps.pool, result.runAt);
      deps.logger.debug({ tenantId: payload.tenant_id, runAt: result.runAt, reason: result.reason }, 'push continues later');
    }
  };
}
