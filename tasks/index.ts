import type { TaskList } from 'graphile-worker';
import type { TaskName } from '../src/jobs.ts';
import type { TaskDeps } from './deps.ts';
import { routeDocumentTask } from './route_document.ts';

/** The task list handed to graphile-worker: one file per task, each a factory over its deps. */
export function createTaskList(deps: TaskDeps): TaskList & Record<TaskName, unknown> {
  return {
    route_document: routeDocumentTask(deps),
  };
}
