import type { Logger } from 'pino';
import type { Database, Tx } from '../db/database.ts';
import type { ProviderName } from '../db/schema.ts';
import { AppError, conflict, notFound, unprocessable } from '../errors.ts';
import { addJobs } from '../jobs.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { ProviderOrganisation, TokenSet } from '../providers/types.ts';
import type { TokenCipher } from '../security/token-crypto.ts';
import { holdQueuedDocuments, releaseConnectionHolds } from '../documents/lifecycle.ts';
import { newPkce, openState, sealState, STATE_LIFETIME_MS } from './oauth-state.ts';

export interface ConnectionDeps {
  readonly db: Database;
  readonly cipher: TokenCipher;
  readonly providers: ProviderRegistry;
  readonly logger: Logger;
  readonly now: () => Date;
}

function providerFor(deps: ConnectionDeps, name: ProviderName) {
  const provider = deps.providers[name];
  if (!provider) throw unprocessable('provider_not_configured', `${name} is not configured on this gateway (missing client id/secret)`);
  return provider;
}

/** Starts the OAuth flow: the authorize URL, with PKCE and a sealed state bound to the tenant. */
export async function startAuthorization(deps: ConnectionDeps, tenantId: string, name: ProviderName, returnUrl: string | undefined) {
  const provider = providerFor(deps, name);
  await deps.db.insertInto('tenants').values({ id: tenantId }).onConflict((oc) => oc.column('id').doNothing()).execute();
  const { codeVerifier, codeChallenge } = newPkce();
  const expiresAt = deps.now().getTime() + STATE_LIFETIME_MS;
  const state = await sealState(deps.cipher, { tenantId, provider: name, codeVerifier, returnUrl, expiresAt });
  return { authorizeUrl: await provider.oauth.authorizeUrl({ state, codeChallenge }), expiresAt: new Date(expiresAt) };
}

export type CallbackResult = { tenantId: string; provider: ProviderName; status: 'connected' | 'pending'; returnUrl: string | undefined };

/**
 * The provider redirected back. The state is checked before anything else; the code is then
 * exchanged and the organisations listed. Nothing about the connection changes unless all of
 * that succeeded.
 */
export async function completeAuthorization(
  deps: ConnectionDeps,
  name: ProviderName,
  query: { code?: string; state?: string; error?: string; error_description?: string; realmId?: string },
): Promise<CallbackResult> {
  const opened = await openState(deps.cipher, query.state, deps.now());
  if (!opened.ok) {
    throw new AppError(400, opened.code, opened.code === 'expired_state' ? 'the authorisation took too long; start again' : 'the state parameter is missing or not one this gateway issued');
  }
  const { state } = opened;
  if (state.provider !== name) throw new AppError(400, 'invalid_state', 'the state was issued for another provider');
  const log = deps.logger.child({ tenantId: state.tenantId, provider: name });
  if (query.error) {
    log.info({ error: query.error }, 'consent denied at the provider');
    throw new AppError(400, 'consent_denied', `the provider reported: ${query.error_description ?? query.error}`, state.returnUrl ? { return_url: state.returnUrl } : undefined);
  }
  if (!query.code) throw new AppError(400, 'missing_code', 'the callback carries no authorisation code');
  const provider = providerFor(deps, name);

  let tokens: TokenSet;
  let organisations: ProviderOrganisation[];
  try {
    tokens = await provider.oauth.exchangeCode({ code: query.code, codeVerifier: state.codeVerifier, state: query.state!, callback: query as Record<string, string> });
    organisations = await provider.oauth.listOrganisations(tokens);
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'authorisation code exchange failed');
    throw new AppError(502, 'exchange_failed', `the provider did not complete the authorisation: ${(error as Error).message}`);
  }
  if (organisations.length === 0) throw new AppError(400, 'no_organisation', 'the consent granted access to no organisation');

  const single = organisations.length === 1 ? organisations[0]! : undefined;
  const tokenSet = await deps.cipher.encrypt(tokens);
  await deps.db.transaction().execute(async (tx) => {
    await tx.insertInto('tenants').values({ id: state.tenantId }).onConflict((oc) => oc.column('id').doNothing()).execute();
    await forgetOtherOrganisation(tx, state.tenantId, name, single?.id ?? null, log);
    const values = {
      provider: name,
      status: single ? ('connected' as const) : ('pending' as const),
      status_reason: single ? null : 'several organisations were granted; choose one',
      // While the tenant chooses, the previous organisation is kept, so choosing another one
      // is recognised as a change (see forgetOtherOrganisation).
      ...(single ? { provider_org_id: single.id, provider_org_name: single.name, provider_connection_id: single.connectionId ?? null } : {}),
      pending_organisations: single ? null : JSON.stringify(organisations),
      token_set: tokenSet,
      access_token_expires_at: new Date(tokens.expiresAt),
      refresh_token_expires_at: tokens.refreshTokenExpiresAt ? new Date(tokens.refreshTokenExpiresAt) : null,
      connected_at: single ? new Date() : null,
      disconnected_at: null,
      updated_at: new Date(),
    };
    await tx
      .insertInto('connections')
      .values({ tenant_id: state.tenantId, provider_org_id: null, provider_org_name: null, provider_connection_id: null, ...values })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet((eb) => ({ ...values, token_version: eb('connections.token_version', '+', 1) })))
      .execute();
    if (single) await releaseHolds(tx, state.tenantId);
  });
  log.info({ organisations: organisations.length, status: single ? 'connected' : 'pending' }, 'authorisation completed');
  return { tenantId: state.tenantId, provider: name, status: single ? 'connected' : 'pending', returnUrl: state.returnUrl };
}

/**
 * Contact links, cached accounts and tax rates and import progress belong to one organisation:
 * when the tenant connects another one they are forgotten, so nothing points at the old one.
 */
async function forgetOtherOrganisation(tx: Tx, tenantId: string, provider: ProviderName, orgId: string | null, log: Logger) {
  if (!orgId) return;
  const previous = await tx.selectFrom('connections').select(['provider', 'provider_org_id']).where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
  if (!previous?.provider_org_id || (previous.provider === provider && previous.provider_org_id === orgId)) return;
  await tx.deleteFrom('contact_links').where('tenant_id', '=', tenantId).execute();
  await tx.deleteFrom('provider_catalog').where('tenant_id', '=', tenantId).execute();
  await tx.deleteFrom('import_state').where('tenant_id', '=', tenantId).execute();
  log.info({ tenantId, from: previous.provider_org_id, to: orgId }, 'connected to another organisation; contact links, cached lists and import progress reset');
}

async function releaseHolds(tx: Tx, tenantId: string) {
  const ids = await releaseConnectionHolds(tx, tenantId);
  await addJobs(tx, ids.map((id) => ({ task: 'route_document' as const, payload: { document_id: id }, jobKey: `route_document:${id}` })));
}

/** Several organisations were granted: the tenant names the one to use. */
export async function chooseOrganisation(deps: ConnectionDeps, tenantId: string, organisationId: string) {
  await deps.db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId).forUpdate().executeTakeFirst();
    if (!row) throw notFound('connection');
    const choices = (row.pending_organisations as ProviderOrganisation[] | null) ?? [];
    if (row.status !== 'pending' || choices.length === 0) throw conflict('not_pending', `the connection is ${row.status}; there is no organisation to choose`);
    const chosen = choices.find((o) => o.id === organisationId);
    if (!chosen) throw unprocessable('unknown_organisation', `organisation ${organisationId} was not granted`, { organisations: choices.map((o) => ({ id: o.id, name: o.name })) });
    await forgetOtherOrganisation(tx, tenantId, row.provider, chosen.id, deps.logger);
    await tx
      .updateTable('connections')
      .set({ status: 'connected', status_reason: null, provider_org_id: chosen.id, provider_org_name: chosen.name, provider_connection_id: chosen.connectionId ?? null, pending_organisations: null, connected_at: new Date(), updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .execute();
    await releaseHolds(tx, tenantId);
  });
}

/** Revokes the tokens at the provider (best effort) and forgets them; queued documents are held. */
export async function disconnect(deps: ConnectionDeps, tenantId: string): Promise<void> {
  const row = await deps.db.selectFrom('connections').select(['provider', 'status', 'token_set']).where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row || row.status === 'disconnected') throw notFound('connection');
  const provider = deps.providers[row.provider];
  if (row.token_set && provider) {
    try {
      await provider.oauth.revoke(await deps.cipher.decrypt<TokenSet>(row.token_set));
    } catch (error) {
      // The tokens are forgotten either way; the provider drops unused ones after expiry.
      deps.logger.warn({ tenantId, err: (error as Error).message }, 'token revocation failed; forgetting the tokens anyway');
    }
  }
  await deps.db.transaction().execute(async (tx) => {
    await tx
      .updateTable('connections')
      .set({ status: 'disconnected', status_reason: 'disconnected over the API', token_set: null, pending_organisations: null, access_token_expires_at: null, refresh_token_expires_at: null, disconnected_at: new Date(), updated_at: new Date() })
      .where('tenant_id', '=', tenantId)
      .execute();
    await holdQueuedDocuments(tx, tenantId, 'no_connection');
  });
  deps.logger.info({ tenantId }, 'connection removed; tokens forgotten');
}
