import type { Task } from 'graphile-worker';
import * as v from 'valibot';
import { runReconciliation } from '../src/sync/reconcile/run.ts';
import type { TaskDeps } from './deps.ts';
import { parsePayload } from './payload.ts';

const Payload = v.object({
  tenant_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  run_id: v.pipe(v.string(), v.uuid()),
});

/** Runs one reconciliation; a provider that cannot be read fails the run (recorded on it), not the job. */
export function runReconciliationTask(deps: TaskDeps): Task {
  return async (raw, helpers) => {
    const payload = parsePayload(Payload, raw, helpers);
    if (!payload) return;
    await runReconciliation(deps, payload.tenant_id, payload.run_id);
  };
}
