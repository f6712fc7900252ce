import type { TaskList } from 'graphile-worker';
import type { TaskName } from '../src/jobs.ts';
import type { TaskDeps } from './deps.ts';
import { pushDocumentsTask } from './push_documents.ts';
import { routeDocumentTask } from './route_document.ts';
import { sweepPushesTask } from './sweep_pushes.ts';

/** The task list handed to graphile-worker: one file per task, each a factory over its deps. */
export function createTaskList(deps: TaskDeps): TaskList & Record<TaskName, unknown> {
  return {
    route_document: routeDocumentTask(deps),
    push_documents: pushDocumentsTask(deps),
    sweep_pushes: sweepPushesTask(deps),
  };
}

/** Every minute, and once at start, recover pending pushes (see sweep_pushes). */
export const CRONTAB = '* * * * * sweep_pushes ?max=1&jobKey=sweep_pushes&jobKeyMode=replace';
