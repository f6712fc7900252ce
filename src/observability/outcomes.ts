import type { Observability } from './index.ts';

/**
 * A token refresh (connections/session.ts), counted by provider and outcome: the refresh
 * transaction's own outcome kind ("refreshed", "reread"), the connection's status when it was not
 * usable ("needs_reauth": the provider refused the refresh token, or another process found so
 * first), or "error" when it threw (the provider unreachable or failing).
 */
export async function observeTokenRefresh<O extends { readonly kind: string }>(obs: Observability | undefined, provider: string, run: () => Promise<O>): Promise<O> {
  if (!obs) return run();
  try {
    const outcome = await run();
    const status = (outcome as { readonly status?: unknown }).status;
    obs.metrics.tokenRefreshes.inc({ provider, outcome: outcome.kind === 'unavailable' && typeof status === 'string' ? status : outcome.kind });
    return outcome;
  } catch (error) {
    obs.metrics.tokenRefreshes.inc({ provider, outcome: 'error' });
    throw error;
  }
}

/** One change-feed webhook delivery (feed/deliver.ts): counted by outcome, with the platform's answer time. */
export async function observeDelivery<R extends { readonly ok: boolean }>(obs: Observability | undefined, run: () => Promise<R>): Promise<R> {
  if (!obs) return run();
  const started = performance.now();
  const result = await run();
  const outcome = result.ok ? 'delivered' : 'failed';
  obs.metrics.feedDeliveries.inc({ outcome });
  obs.metrics.feedDeliveryDuration.observe({ outcome }, (performance.now() - started) / 1000);
  return result;
}
