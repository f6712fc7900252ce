import type { TaskList } from 'graphile-worker';
import type { TaskName } from '../src/jobs.ts';
import type { TaskDeps } from './deps.ts';
import { deliverEventsTask } from './deliver_events.ts';
import { importRecordsTask } from './import_records.ts';
import { pollPaymentChangesTask } from './poll_payment_changes.ts';
import { pushDocumentsTask } from './push_documents.ts';
import { refreshInvoicesTask } from './refresh_invoices.ts';
import { refreshRecordTask } from './refresh_record.ts';
import { routeDocumentTask } from './route_document.ts';
import { runReconciliationTask } from './run_reconciliation.ts';
import { scheduleReconciliationsTask } from './schedule_reconciliations.ts';
import { scheduleImportsTask } from './schedule_imports.ts';
import { schedulePaymentPollsTask } from './schedule_payment_polls.ts';
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
    poll_payment_changes: pollPaymentChangesTask(deps),
    schedule_payment_polls: schedulePaymentPollsTask(deps),
    run_reconciliation: runReconciliationTask(deps),
    schedule_reconciliations: scheduleReconciliationsTask(deps),
  };
}

/**
 * Every minute, and once at start, recover pending pushes (see sweep_pushes); every five
 * minutes, queue the purchase order imports that are due (see schedule_imports); every fifteen,
 * poll QuickBooks' change data capture for payments no webhook told of (see schedule_payment_polls);
 * every hour, start the reconciliations due by their posting defaults (see schedule_reconciliations).
 */
export const CRONTAB = [
  '* * * * * sweep_pushes ?max=1&jobKey=sweep_pushes&jobKeyMode=replace',
  '* * * * * sweep_deliveries ?max=1&jobKey=sweep_deliveries&jobKeyMode=replace',
  '*/5 * * * * schedule_imports ?max=1&jobKey=schedule_imports&jobKeyMode=replace',
  '*/15 * * * * schedule_payment_polls ?max=1&jobKey=schedule_payment_polls&jobKeyMode=replace',
  '7 * * * * schedule_reconciliations ?max=1&jobKey=schedule_reconciliations&jobKeyMode=replace',
].join('\n');
