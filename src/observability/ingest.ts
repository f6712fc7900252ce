import { trace, type Link, type Span } from '@opentelemetry/api';
import type { AcceptOutcome, OpsEvent } from '../ingest/accept-ops-events.ts';
import type { Observability } from './index.ts';
import { activeTraceparent } from './trace-context.ts';

/**
 * The ops webhook group commit, observed. `prepare` runs in each request's own async context
 * (GroupCommitOptions.prepare) and gives the event the request's `traceparent`, which
 * accept_ops_events copies into the event's route_document job (sql/0012), so the job continues
 * the webhook's trace. `write` wraps the batch write: batch size and duration, one span per
 * batch (its own trace, linked to every request it carries, as OpenTelemetry advises for
 * batches), the outcome of each delivery, and the document id on each request's span.
 */
export function observeOpsIngest(obs: Observability) {
  const { metrics, tracing } = obs;
  const requestSpans = new WeakMap<OpsEvent, Span>();

  const prepare = tracing.enabled
    ? (event: OpsEvent): OpsEvent => {
        const traceparent = activeTraceparent();
        if (!traceparent) return event;
        const prepared = { ...event, traceparent };
        const span = trace.getActiveSpan();
        if (span) requestSpans.set(prepared, span);
        return prepared;
      }
    : undefined;

  const write =
    (inner: (events: OpsEvent[]) => Promise<AcceptOutcome[]>) =>
    async (events: OpsEvent[]): Promise<AcceptOutcome[]> => {
      metrics.ingestBatchSize.observe(events.length);
      const started = performance.now();
      let outcomes: AcceptOutcome[];
      try {
        outcomes = tracing.enabled
          ? await tracing.span('ingest accept_ops_events', { root: true, links: links(events), attributes: { 'ledgerport.batch.size': events.length } }, () => inner(events))
          : await inner(events);
      } catch (error) {
        metrics.ingestBatchDuration.observe({ outcome: 'failed' }, (performance.now() - started) / 1000);
        throw error;
      }
      metrics.ingestBatchDuration.observe({ outcome: 'committed' }, (performance.now() - started) / 1000);
      const counts = { accepted: 0, duplicate: 0, ignored: 0 };
      outcomes.forEach((outcome, i) => {
        counts[outcome.kind]++;
        const span = requestSpans.get(events[i]!);
        if (!span) return;
        span.setAttribute('ledgerport.webhook.outcome', outcome.kind);
        if (outcome.kind !== 'ignored' && outcome.documentId) span.setAttribute('ledgerport.document_id', outcome.documentId);
      });
      for (const [outcome, n] of Object.entries(counts)) if (n > 0) metrics.webhooks.inc({ source: 'ops', outcome }, n);
      return outcomes;
    };

  const links = (events: readonly OpsEvent[]): Link[] =>
    events.flatMap((e) => {
      const context = e.traceparent ? trace.getSpanContext(tracing.extract({ traceparent: e.traceparent })) : undefined;
      return context ? [{ context }] : [];
    });

  return { prepare, write };
}
