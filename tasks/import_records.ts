import type { Task } from 'graphile-worker';
import * as v from 'valibot';
import { runImport } from '../src/sync/imports/run-import.ts';
import type { TaskDeps } from './deps.ts';
import { parsePayload } from './payload.ts';

const Payload = v.object({
  tenant_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  run_id: v.pipe(v.string(), v.uuid()),
  kind: v.picklist(['contacts', 'purchase_orders']),
  dry_run: v.boolean(),
});

/** Runs one queued import (or dry run); failures are recorded on the run, not retried blindly. */
export function importRecordsTask(deps: TaskDeps): Task {
  return async (raw, helpers) => {
    const payload = parsePayload(Payload, raw, helpers);
    if (!payload) return;
    await runImport(deps, payload.tenant_id, payload.run_id, payload.kind, { dryRun: payload.dry_run });
  };
}
