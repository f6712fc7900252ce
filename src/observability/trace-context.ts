import { isSpanContextValid, trace } from '@opentelemetry/api';

/**
 * The active span's W3C traceparent (`00-<trace id>-<span id>-<flags>`), or undefined when no
 * span is active (always, when tracing is off: no context manager is registered then).
 */
export function activeTraceparent(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * A job payload carrying the active trace context as `traceparent`, so the job's span continues
 * the trace of whatever enqueued it (a webhook, another job); the payload itself when no span is
 * active. Tasks read it back (observability/jobs.ts); their valibot schemas ignore it otherwise.
 */
export function withTraceContext<P extends object>(payload: P): P | (P & { traceparent: string }) {
  const traceparent = activeTraceparent();
  return traceparent ? { ...payload, traceparent } : payload;
}

/**
 * pino mixin: trace_id and span_id on every line logged while a span is active. A new object
 * every time: pino merges the line's own fields into what the mixin returns (Object.assign), so
 * a shared object would carry one line's fields into the next, and a frozen one makes every
 * logger call with fields throw.
 */
export function traceLogFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}
