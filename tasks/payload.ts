import type { JobHelpers } from 'graphile-worker';
import * as v from 'valibot';

/**
 * A payload that does not match its task's schema can never succeed, so it is logged as an
 * error and the job is completed instead of being retried 25 times.
 */
export function parsePayload<S extends v.GenericSchema>(
  schema: S,
  raw: unknown,
  helpers: JobHelpers,
): v.InferOutput<S> | undefined {
  const result = v.safeParse(schema, raw);
  if (result.success) return result.output;
  helpers.logger.error(`invalid payload for ${helpers.job.task_identifier} job ${helpers.job.id}: ${v.summarize(result.issues)}`);
  return undefined;
}
