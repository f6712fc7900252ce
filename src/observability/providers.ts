import { SpanKind } from '@opentelemetry/api';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { RateGovernorOptions } from '../providers/rate-governor.ts';
import type { AccountingProvider } from '../providers/types.ts';
import type { Observability } from './index.ts';
import { providerOfRateKey } from './metrics.ts';

export interface ProviderCall {
  readonly provider: string;
  /**
   * The client's own name for the call ("createInvoices", "query Invoice", "batch"; the OAuth
   * calls "oauth_token", "oauth_refresh", "oauth_revoke", and "connections" / "companyinfo"):
   * bounded by the code.
   */
  readonly operation: string;
  /** On the span only. The OAuth calls have none: the token endpoints take tokens, not a tenant. */
  readonly tenantId?: string;
}

/** The status of a fetch() call: the answer's, or none (0) when it threw. */
export const fetchStatus = { ok: (answer: Response) => answer.status, error: () => 0 } as const;

/**
 * One request to a provider (an API call, a token endpoint call), measured and traced:
 * `ledgerport_provider_requests_total` and its latency by provider, operation and status, 429s
 * counted apart, and a CLIENT span with the response status. `status` reads the HTTP status from the answer or from the failure (0: no
 * answer); without observability the call just runs.
 */
export async function observeProviderCall<T>(
  obs: Observability | undefined,
  call: ProviderCall,
  run: () => Promise<T>,
  status: { readonly ok: (value: T) => number; readonly error: (error: unknown) => number },
): Promise<T> {
  if (!obs) return run();
  const { metrics, tracing } = obs;
  const record = (code: number, started: number) => {
    const labels = { provider: call.provider, operation: call.operation, status: code > 0 ? String(code) : 'unreachable' };
    metrics.providerRequests.inc(labels);
    metrics.providerDuration.observe(labels, (performance.now() - started) / 1000);
    if (code === 429) metrics.providerRateLimited.inc({ provider: call.provider, operation: call.operation });
  };
  const attributes = { 'ledgerport.provider': call.provider, 'ledgerport.operation': call.operation, ...(call.tenantId === undefined ? {} : { 'ledgerport.tenant_id': call.tenantId }) };
  return tracing.span(`${call.provider} ${call.operation}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const started = performance.now();
    try {
      const value = await run();
      const code = status.ok(value);
      record(code, started);
      span.setAttribute('http.response.status_code', code);
      return value;
    } catch (error) {
      const code = status.error(error);
      record(code, started);
      if (code > 0) span.setAttribute('http.response.status_code', code);
      throw error;
    }
  });
}

/** The rate governor's waits and refusals as metrics (RateGovernorOptions.onWait). */
export function governorObserver(obs: Observability | undefined): RateGovernorOptions['onWait'] {
  if (!obs) return undefined;
  const { metrics } = obs;
  return ({ key, reason, waitMs, slept }) => {
    const labels = { provider: providerOfRateKey(key), reason };
    if (!slept) {
      metrics.governorRefusals.inc(labels);
      return;
    }
    metrics.governorWaits.inc(labels);
    metrics.governorWaitSeconds.inc(labels, waitMs / 1000);
  };
}

/**
 * Providers whose batches are traced: a span per prepareBatch and sendBatch with the tenant and
 * the document ids it carries, so the provider calls beneath (observeProviderCall) are tied to
 * the documents they were for. The registry itself when tracing is off.
 */
export function observeProviders(registry: ProviderRegistry, obs: Observability | undefined): ProviderRegistry {
  if (!obs?.tracing.enabled) return registry;
  const { tracing } = obs;
  const traced = (provider: AccountingProvider): AccountingProvider => {
    const wrapper = Object.create(provider) as AccountingProvider & Record<string, unknown>;
    wrapper.prepareBatch = (session, documents) =>
      tracing.span(`${provider.name} prepare batch`, { attributes: { 'ledgerport.provider': provider.name, 'ledgerport.tenant_id': session.tenantId, 'ledgerport.document_ids': documents.map((d) => d.documentId) } }, () =>
        provider.prepareBatch(session, documents),
      );
    wrapper.sendBatch = (session, batch, idempotencyKey) =>
      tracing.span(`${provider.name} send batch`, { attributes: { 'ledgerport.provider': provider.name, 'ledgerport.tenant_id': session.tenantId, 'ledgerport.document_ids': [...batch.documentIds] } }, async (span) => {
        const outcomes = await provider.sendBatch(session, batch, idempotencyKey);
        span.setAttribute('ledgerport.outcomes', outcomes.map((o) => `${o.documentId}:${o.status}`));
        return outcomes;
      });
    return wrapper;
  };
  return Object.fromEntries(Object.entries(registry).map(([name, provider]) => [name, traced(provider)])) as ProviderRegistry;
}
