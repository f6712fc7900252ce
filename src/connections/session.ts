import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { FeedWriter } from '../feed/writer.ts';
import type { TokenCipher } from '../security/token-crypto.ts';
import { holdQueuedDocuments } from '../documents/lifecycle.ts';
import { InvalidGrantError, type AccountingProvider, type ProviderSession, type TokenSet } from '../providers/types.ts';
import type { Observability } from '../observability/index.ts';
import { observeTokenRefresh } from '../observability/outcomes.ts';

/** Refresh this long before expiry, so a token never expires mid-request. */
const REFRESH_AHEAD_MS = 2 * 60 * 1000;

export class ConnectionUnavailableError extends Error {
  readonly status: string;
  constructor(tenantId: string, status: string) {
    super(`tenant ${tenantId} has no usable connection (${status})`);
    this.name = 'ConnectionUnavailableError';
    this.status = status;
  }
}

export interface SessionDeps {
  readonly db: Database;
  /** Where "connection.needs_reauth" is announced to the platform. */
  readonly feed: FeedWriter;
  readonly cipher: TokenCipher;
  readonly logger: Logger;
  readonly now: () => Date;
  /** Counts refreshes by outcome (observability/outcomes.ts). */
  readonly observability?: Observability;
}

/**
 * A provider session for a connected tenant. Tokens are refreshed ahead of expiry, one refresh
 * at a time per connection across all processes: under the connection's row lock, the rotated
 * set is stored (and committed) before it is used; a process that finds the version changed
 * while it waited re-reads instead of refreshing again. A refused refresh token marks the
 * connection needs_reauth and holds its queued documents.
 */
export async function openSession(deps: SessionDeps, provider: AccountingProvider, tenantId: string): Promise<ProviderSession & { provider: AccountingProvider }> {
  const row = await deps.db
    .selectFrom('connections')
    .select(['status', 'provider_org_id', 'token_set', 'token_version'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (!row || row.status !== 'connected' || !row.token_set || !row.provider_org_id) {
    throw new ConnectionUnavailableError(tenantId, row?.status ?? 'none');
  }
  let tokens = await deps.cipher.decrypt<TokenSet>(row.token_set);
  let version = row.token_version;
  const log = deps.logger.child({ tenantId, provider: provider.name });

  const refresh = async (force: boolean): Promise<string> => {
    const outcome = await observeTokenRefresh(deps.observability, provider.name, () => deps.db.transaction().execute(async (tx) => {
      const locked = await tx
        .selectFrom('connections')
        .select(['status', 'token_set', 'token_version'])
        .where('tenant_id', '=', tenantId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      if (locked.status !== 'connected' || !locked.token_set) return { kind: 'unavailable' as const, status: locked.status };
      const current = await deps.cipher.decrypt<TokenSet>(locked.token_set);
      const fresh = current.expiresAt - deps.now().getTime() > REFRESH_AHEAD_MS;
      if (locked.token_version !== version && fresh) {
        return { kind: 'reread' as const, tokens: current, version: locked.token_version };
      }
      if (!force && fresh) return { kind: 'reread' as const, tokens: current, version: locked.token_version };
      try {
        const rotated = await provider.oauth.refresh(current);
        await tx
          .updateTable('connections')
          .set({
            token_set: await deps.cipher.encrypt(rotated),
            token_version: locked.token_version + 1,
            access_token_expires_at: new Date(rotated.expiresAt),
            refresh_token_expires_at: rotated.refreshTokenExpiresAt ? new Date(rotated.refreshTokenExpiresAt) : null,
            updated_at: new Date(),
          })
          .where('tenant_id', '=', tenantId)
          .execute();
        return { kind: 'refreshed' as const, tokens: rotated, version: locked.token_version + 1 };
      } catch (error) {
        if (!(error instanceof InvalidGrantError)) throw error;
        await tx
          .updateTable('connections')
          .set({ status: 'needs_reauth', status_reason: 'the provider refused the refresh token; reconnect to continue', updated_at: new Date() })
          .where('tenant_id', '=', tenantId)
          .execute();
        const held = await holdQueuedDocuments(tx, tenantId, 'connection_needs_reauth');
        await deps.feed.appendEvent(tx, tenantId, 'connection.needs_reauth', { provider: provider.name, reason: 'refresh token refused (invalid_grant)', documents_held: held });
        log.warn({ held }, 'refresh token refused (invalid_grant); connection needs reauthorisation');
        return { kind: 'unavailable' as const, status: 'needs_reauth' };
      }
    }));
    if (outcome.kind === 'unavailable') throw new ConnectionUnavailableError(tenantId, outcome.status);
    if (outcome.kind === 'refreshed') log.info({ tokenVersion: outcome.version }, 'access token refreshed');
    tokens = outcome.tokens;
    version = outcome.version;
    return tokens.accessToken;
  };

  return {
    tenantId,
    orgId: row.provider_org_id,
    provider,
    accessToken: async () =>
      tokens.expiresAt - deps.now().getTime() > REFRESH_AHEAD_MS ? tokens.accessToken : refresh(false),
    refreshedAccessToken: () => refresh(true),
  };
}
