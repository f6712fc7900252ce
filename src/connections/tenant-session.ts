import { conflict } from '../errors.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { AccountingProvider, ProviderSession } from '../providers/types.ts';
import { ConnectionUnavailableError, openSession, type SessionDeps } from './session.ts';

/** The tenant's provider and a session on it, or a 409 the platform can act on. */
export async function requireSession(deps: SessionDeps & { providers: ProviderRegistry }, tenantId: string): Promise<{ provider: AccountingProvider; session: ProviderSession }> {
  const connection = await deps.db.selectFrom('connections').select(['provider', 'status']).where('tenant_id', '=', tenantId).executeTakeFirst();
  const provider = connection ? deps.providers[connection.provider] : undefined;
  if (!connection || connection.status !== 'connected' || !provider) {
    throw conflict('not_connected', `the tenant's accounting connection is ${connection?.status ?? 'missing'}; connect it first`);
  }
  try {
    return { provider, session: await openSession(deps, provider, tenantId) };
  } catch (error) {
    if (error instanceof ConnectionUnavailableError) throw conflict('not_connected', `the tenant's accounting connection is ${error.status}; reconnect it`);
    throw error;
  }
}
