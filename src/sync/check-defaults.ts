import { openSession, type SessionDeps } from '../connections/session.ts';
import { AppError } from '../errors.ts';
import { cachedCatalog } from '../providers/catalog.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import { ProviderError, type DefaultsProblem } from '../providers/types.ts';
import type { PostingDefaults } from '../documents/posting-defaults.ts';

/**
 * Checks posting defaults against the connected organisation's own accounts and tax rates.
 * Without a connection there is nothing to check against yet (the defaults are checked again
 * at push time). A problem found in the cached lists is confirmed against fresh ones, so an
 * account just added at the provider is not refused.
 */
export async function defaultsProblems(deps: SessionDeps & { providers: ProviderRegistry }, tenantId: string, defaults: PostingDefaults): Promise<DefaultsProblem[]> {
  const connection = await deps.db.selectFrom('connections').select(['provider', 'status']).where('tenant_id', '=', tenantId).executeTakeFirst();
  const provider = connection?.status === 'connected' ? deps.providers[connection.provider] : undefined;
  if (!provider) return [];
  try {
    const session = await openSession(deps, provider, tenantId);
    const check = async (refresh: boolean) => {
      const [accounts, taxRates] = await Promise.all([
        cachedCatalog(deps.db, provider.records, session, 'accounts', { refresh }),
        cachedCatalog(deps.db, provider.records, session, 'tax_rates', { refresh }),
      ]);
      return provider.checkDefaults(defaults, { accounts: accounts.data, taxRates: taxRates.data });
    };
    const cached = await check(false);
    return cached.length === 0 ? cached : await check(true);
  } catch (error) {
    if (error instanceof ProviderError) {
      throw new AppError(502, 'provider_unavailable', `the defaults could not be checked against the organisation: ${error.message}`);
    }
    throw error;
  }
}
