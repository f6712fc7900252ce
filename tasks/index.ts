import type { TaskList } from 'graphile-worker';
import type { TaskName } from '../src/jobs.ts';
import type { TaskDeps } from './deps.ts';
import { deliverEventsTask } from './deliver_events.ts';
import { importRecordsTask } from './import_records.ts';
import { pushDocumentsTask } from './push_documents.ts';
import { refreshInvoicesTask } from './refresh_invoices.ts';
import { refreshRecordTask } from './refresh_record.ts';
import { routeDocumentTask } from './route_document.ts';
import { scheduleImportsTask } from './schedule_imports.ts';
import { sweepDeliveriesTask } from './sweep_deliveries.ts';
import { sweepPushesTask } from './sweep_pushes.ts';

/** The task list handed to graphile-worker: one file per task, each a factory over its deps. */
export function createTaskList(deps: TaskDeps): TaskList & Record<TaskName, unknown> {
  return {
    route_document: routeDocumentTask(deps),
    push_documents: pushDocumentsTask(deps),
    sweep_pushes: sweepPushesTask(deps),
    deliver_events: deliverEventsTask(deps),
    import_records: importRecordsTask(deps),
    schedule_imports: scheduleImportsTask(deps),
    refresh_record: refreshRecordTask(deps),
    refresh_invoices: refreshInvoicesTask(deps),
    sweep_deliveries: sweepDeliveriesTask(deps),
  };
}

/**
 * Every minute, and once at start, recover pending pushes (see sweep_pushes); every five
 * minutes, queue the purchase order imports that are due (see schedule_imports).
 */
export const CRONTAB = [
  '* * * * * sweep_pushes ?max=1&jobKey=sweep_pushes&jobKeyMode=replace',
  '* * * * * sweep_deliveries ?max=1&jobKey=sweep_deliveries&jobKeyMode=replace',
  '*/5 * * * * schedule_imports ?max=1&jobKey=schedule_imports&jobKeyMode=replace',
].join('\n');
