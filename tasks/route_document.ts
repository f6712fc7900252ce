import type { Task } from 'graphile-worker';
import * as v from 'valibot';
import { routeDocument } from '../src/sync/route-document.ts';
import type { TaskDeps } from './deps.ts';
import { parsePayload } from './payload.ts';

// traceparent: the trace of the webhook that routed it (sql/0012); read by observability/jobs.ts.
const Payload = v.object({ document_id: v.pipe(v.string(), v.uuid()), traceparent: v.optional(v.string()) });

/** Routes a received document: held (with the reason) or queued for push. */
export function routeDocumentTask(deps: TaskDeps): Task {
  return async (raw, helpers) => {
    const payload = parsePayload(Payload, raw, helpers);
    if (!payload) return;
    await routeDocument(deps.db, payload.document_id, deps.logger.child({ jobId: helpers.job.id }), { pushDebounceMs: deps.pushDebounceMs, pushQuietMs: deps.pushQuietMs });
  };
}
