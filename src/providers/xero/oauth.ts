import type { TokenSet as OidcTokenSet } from 'openid-client';
import { decodeJwt } from 'jose';
import type { XeroClient } from 'xero-node';
import type { Config } from '../../config.ts';
import type { Observability } from '../../observability/index.ts';
import { fetchStatus, observeProviderCall } from '../../observability/providers.ts';
import { InvalidGrantError, ProviderError, type ProviderOAuth, type ProviderOrganisation, type TokenSet } from '../types.ts';

export const XERO_SCOPES = ['offline_access', 'accounting.transactions', 'accounting.contacts', 'accounting.settings'];

// Xero's refresh tokens expire after 60 days unused.
const REFRESH_TOKEN_LIFETIME_MS = 60 * 24 * 60 * 60 * 1000;

/**
 * Xero OAuth 2 through xero-node. XeroClient discovers identity.xero.com by itself; its public
 * `openIdClient` is only created when unset, so we hand it one built from XERO_IDENTITY_URL and
 * XERO_LOGIN_URL and every OAuth call goes to the configured hosts.
 * xero-node and openid-client are loaded on first use: a gateway that never talks to Xero
 * (or has not yet) does not carry them in memory.
 * Each call to Xero's hosts is counted like the API calls (observability/providers.ts), as
 * oauth_token, oauth_refresh, oauth_revoke and connections; openid-client makes one request per
 * grant or revocation and retries none.
 */
export function createXeroOAuth(xero: Config['xero'], redirectUri: string, observability?: Observability): ProviderOAuth {
  const observed = <T>(operation: string, run: () => Promise<T>) => observeProviderCall(observability, { provider: 'xero', operation }, run, OPENID_STATUS);
  const libraries = async () => {
    const [{ XeroClient }, { custom, errors, Issuer }] = await Promise.all([import('xero-node'), import('openid-client')]);
    const issuer = new Issuer({
      issuer: xero.identityUrl,
      authorization_endpoint: `${xero.loginUrl}/identity/connect/authorize`,
      token_endpoint: `${xero.identityUrl}/connect/token`,
      revocation_endpoint: `${xero.identityUrl}/connect/revocation`,
    });
    return { XeroClient, custom, errors, issuer };
  };
  let loaded: ReturnType<typeof libraries> | undefined;
  const newClient = async (): Promise<XeroClient> => {
    const { XeroClient, custom, issuer } = await (loaded ??= libraries());
    const client = new XeroClient({
      clientId: xero.clientId ?? '',
      clientSecret: xero.clientSecret ?? '',
      redirectUris: [redirectUri],
      scopes: XERO_SCOPES,
    });
    const oidc = new issuer.Client({
      client_id: xero.clientId ?? '',
      client_secret: xero.clientSecret ?? '',
      redirect_uris: [redirectUri],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    oidc[custom.http_options] = (_url, options) => ({ ...options, timeout: 15_000 });
    client.openIdClient = oidc;
    return client;
  };

  const toTokenSet = (set: OidcTokenSet, previous?: TokenSet): TokenSet => {
    if (!set.access_token) throw new ProviderError('validation', 'Xero returned no access token');
    const refreshToken = set.refresh_token ?? previous?.refreshToken;
    if (!refreshToken) throw new ProviderError('validation', 'Xero returned no refresh token (is offline_access granted?)');
    return {
      accessToken: set.access_token,
      refreshToken,
      expiresAt: (set.expires_at ?? Math.floor(Date.now() / 1000) + 1800) * 1000,
      refreshTokenExpiresAt: Date.now() + REFRESH_TOKEN_LIFETIME_MS,
      scope: set.scope,
    };
  };

  return {
    authorizeUrl: async ({ state, codeChallenge }) =>
      (await newClient()).openIdClient.authorizationUrl({
        redirect_uri: redirectUri,
        scope: XERO_SCOPES.join(' '),
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      }),

    async exchangeCode({ code, codeVerifier, state }) {
      const client = await newClient();
      // xero-node's apiCallback() cannot pass a PKCE verifier, so we call its openid client directly.
      const set = await observed('oauth_token', () => client.openIdClient.oauthCallback(redirectUri, { code, state }, { state, code_verifier: codeVerifier }));
      client.setTokenSet(set);
      return toTokenSet(set);
    },

    async refresh(tokens) {
      const client = await newClient();
      client.setTokenSet({ refresh_token: tokens.refreshToken, access_token: tokens.accessToken });
      try {
        return toTokenSet(await observed('oauth_refresh', () => client.refreshToken()), tokens);
      } catch (error) {
        const { errors } = await (loaded ??= libraries());
        if (error instanceof errors.OPError && error.error === 'invalid_grant') throw new InvalidGrantError();
        throw error;
      }
    },

    async revoke(tokens) {
      const client = await newClient();
      client.setTokenSet({ refresh_token: tokens.refreshToken, access_token: tokens.accessToken });
      await observed('oauth_revoke', () => client.revokeToken());
    },

    async listOrganisations(tokens) {
      // XeroClient.updateTenants() hard-codes api.xero.com, so /connections is read directly.
      // Only the organisations of this consent: Xero's access token names its auth event.
      let query = '';
      try {
        const event = decodeJwt(tokens.accessToken).authentication_event_id;
        if (typeof event === 'string') query = `?authEventId=${encodeURIComponent(event)}`;
      } catch {
        // An opaque token: list every organisation the user connected.
      }
      const res = await observeProviderCall(observability, { provider: 'xero', operation: 'connections' }, () => fetch(`${xero.apiUrl}/connections${query}`, {
        headers: { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(15_000),
      }), fetchStatus);
      if (!res.ok) throw new ProviderError(res.status === 401 ? 'unauthorized' : 'transient', `Xero /connections answered ${res.status}`, { status: res.status });
      const rows = (await res.json()) as { id: string; tenantId: string; tenantName: string; tenantType: string }[];
      return rows
        .filter((row) => row.tenantType === 'ORGANISATION')
        .map((row): ProviderOrganisation => ({ id: row.tenantId, name: row.tenantName, connectionId: row.id }));
    },
  };
}

/**
 * The HTTP status of an openid-client call: it resolves only on the status it expects (200), and
 * its errors carry the answer they came from (OPError, some RPErrors); none when no answer came
 * (a timeout, a refused connection).
 */
const OPENID_STATUS = {
  ok: () => 200,
  error: (error: unknown) => (error as { response?: { statusCode?: number } } | null)?.response?.statusCode ?? 0,
};
