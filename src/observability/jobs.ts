import { EventEmitter } from 'node:events';
import { SpanKind } from '@opentelemetry/api';
import type { Job, Task, TaskList, WorkerEvents } from 'graphile-worker';
import type { Observability } from './index.ts';

/**
 * graphile-worker's events as metrics: jobs by task and outcome (success; retry: failed and will
 * run again; failed: its last attempt failed) with how long each ran. Passed as `events` to
 * run(): this emitter is the process's, not graphile-worker's global one.
 */
export function observeWorkerEvents(obs: Observability): WorkerEvents {
  const { metrics } = obs;
  const events = new EventEmitter() as WorkerEvents;
  const started = new Map<string, number>();
  const done = (job: Job, outcome: 'success' | 'retry' | 'failed') => {
    const at = started.get(job.id);
    started.delete(job.id);
    metrics.jobs.inc({ task: job.task_identifier, outcome });
    if (at !== undefined) metrics.jobDuration.observe({ task: job.task_identifier, outcome }, (performance.now() - at) / 1000);
  };
  events.on('job:start', ({ job }) => started.set(job.id, performance.now()));
  events.on('job:success', ({ job }) => done(job, 'success'));
  // job:failed follows job:error when that was the last attempt.
  events.on('job:error', ({ job }) => {
    if (job.attempts < job.max_attempts) done(job, 'retry');
  });
  events.on('job:failed', ({ job }) => done(job, 'failed'));
  events.on('job:complete', ({ job }) => started.delete(job.id));
  return events;
}

/**
 * Every task inside a CONSUMER span named "job <task>", continuing the trace of whatever
 * enqueued it when its payload carries a `traceparent` (addJobs and accept_ops_events put it
 * there), with the job id and attempt and, when the payload has them, the document and tenant
 * ids as attributes. The task list itself when tracing is off.
 */
export function observeTasks<L extends TaskList>(tasks: L, obs: Observability | undefined): L {
  if (!obs?.tracing.enabled) return tasks;
  const { tracing } = obs;
  const traced = (name: string, task: Task): Task => (payload, helpers) => {
    const fields = (payload && typeof payload === 'object' ? payload : {}) as Record<string, unknown>;
    const text = (key: string) => (typeof fields[key] === 'string' ? (fields[key] as string) : undefined);
    const attributes = {
      'ledgerport.job.task': name,
      'ledgerport.job.id': helpers.job.id,
      'ledgerport.job.attempt': helpers.job.attempts,
      ...(text('document_id') ? { 'ledgerport.document_id': text('document_id') } : {}),
      ...(text('tenant_id') ? { 'ledgerport.tenant_id': text('tenant_id') } : {}),
    };
    return tracing.span(`job ${name}`, { kind: SpanKind.CONSUMER, parent: tracing.extract({ traceparent: text('traceparent') }), attributes }, async () => task(payload, helpers)) as ReturnType<Task>;
  };
  return Object.fromEntries(Object.entries(tasks).map(([name, task]) => [name, traced(name, task as Task)])) as L;
}
