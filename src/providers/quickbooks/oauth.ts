import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../config.ts';
import type { Observability } from '../../observability/index.ts';
import { fetchStatus, observeProviderCall } from '../../observability/providers.ts';
import { InvalidGrantError, ProviderError, type ProviderOAuth, type TokenSet } from '../types.ts';

export const QBO_SCOPES = ['com.intuit.quickbooks.accounting'];
const DEFAULT_OAUTH_URL = 'https://oauth.platform.intuit.com';
const MINOR_VERSION = '75';

type IntuitModule = typeof import('intuit-oauth');
type IntuitClient = InstanceType<IntuitModule>;

/**
 * intuit-oauth keeps its endpoints in static properties shared by every client in the process,
 * so they are set once, here, from the QBO_* settings (never per request).
 */
async function loadIntuit(qbo: Config['quickbooks']): Promise<IntuitModule> {
  const { default: OAuthClient } = await import('intuit-oauth');
  OAuthClient.authorizeEndpoint = qbo.authorizeUrl;
  OAuthClient.tokenEndpoint = `${qbo.oauthUrl}/oauth2/v1/tokens/bearer`;
  // Intuit revokes at developer.api.intuit.com; a configured (sandbox) OAuth host serves it too.
  if (qbo.oauthUrl !== DEFAULT_OAUTH_URL) OAuthClient.revokeEndpoint = `${qbo.oauthUrl}/oauth2/v1/tokens/revoke`;
  return OAuthClient;
}

/**
 * A client whose every request to Intuit is counted under `operation` (observability/providers.ts).
 * intuit-oauth retries a failed request by itself inside loadResponse (OAuthClient.retryConfig:
 * 408, 429, 5xx and dropped connections, up to 3 more times, 1 s, 2 s, 4 s apart), where no
 * attempt can be seen; so this client's own retry is switched off and the same one, with the
 * library's retryConfig and shouldRetry, runs here around one observed attempt at a time.
 */
function observedClient(OAuthClient: IntuitModule, oauth: IntuitClient, operation: string, observability: Observability | undefined): IntuitClient {
  if (!observability) return oauth;
  const once = oauth.loadResponse.bind(oauth);
  const retryable = OAuthClient.prototype.shouldRetry.bind(oauth);
  oauth.shouldRetry = () => false;
  oauth.loadResponse = async (request: unknown) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await observeProviderCall(observability, { provider: 'quickbooks', operation }, () => once(request), AXIOS_STATUS);
      } catch (error) {
        if (!retryable(error, attempt)) throw error;
        await sleep(OAuthClient.retryConfig.retryDelay * 2 ** attempt);
      }
    }
  };
  return oauth;
}

/** intuit-oauth answers with axios' response, and fails with axios' error (its `response` when one came). */
const AXIOS_STATUS = {
  ok: (response: { status?: number }) => response.status ?? 0,
  error: (error: unknown) => (error as { response?: { status?: number } } | null)?.response?.status ?? 0,
};

/** Every call to Intuit is counted as oauth_token, oauth_refresh, oauth_revoke or companyinfo, like the API calls. */
export function createQuickBooksOAuth(qbo: Config['quickbooks'], redirectUri: string, observability?: Observability): ProviderOAuth {
  let loaded: Promise<IntuitModule> | undefined;
  /** `operation`: what the client's requests are counted as; without, it sends none. */
  const client = async (operation?: string): Promise<IntuitClient> => {
    const OAuthClient = await (loaded ??= loadIntuit(qbo));
    const oauth = new OAuthClient({ clientId: qbo.clientId ?? '', clientSecret: qbo.clientSecret ?? '', environment: 'production', redirectUri, logging: false });
    return operation ? observedClient(OAuthClient, oauth, operation, observability) : oauth;
  };
  const toTokenSet = (json: Record<string, unknown>, realmId: string | undefined): TokenSet => {
    if (typeof json.access_token !== 'string' || typeof json.refresh_token !== 'string') {
      throw new ProviderError('validation', 'QuickBooks returned no token set');
    }
    const now = Date.now();
    return {
      accessToken: json.access_token,
      refreshToken: json.refresh_token,
      expiresAt: now + Number(json.expires_in ?? 3600) * 1000,
      refreshTokenExpiresAt: now + Number(json.x_refresh_token_expires_in ?? 8_726_400) * 1000,
      ...(realmId ? { providerOrgId: realmId } : {}),
    };
  };
  return {
    // Intuit's flow has no PKCE; the sealed state still binds the callback to the tenant.
    authorizeUrl: async ({ state }) => (await client()).authorizeUri({ scope: QBO_SCOPES, state }),

    async exchangeCode({ callback }) {
      const oauth = await client('oauth_token');
      const query = new URLSearchParams(callback).toString();
      const response = await oauth.createToken(`${redirectUri}?${query}`);
      return toTokenSet(response.getJson() as Record<string, unknown>, callback.realmId);
    },

    async refresh(tokens) {
      const oauth = await client('oauth_refresh');
      try {
        const response = await oauth.refreshUsingToken(tokens.refreshToken);
        return { ...toTokenSet(response.getJson() as Record<string, unknown>, tokens.providerOrgId) };
      } catch (error) {
        if ((error as { error?: string }).error === 'invalid_grant') throw new InvalidGrantError();
        throw error;
      }
    },

    async revoke(tokens) {
      const oauth = await client('oauth_revoke');
      await oauth.revoke({ refresh_token: tokens.refreshToken });
    },

    async listOrganisations(tokens) {
      const realmId = tokens.providerOrgId;
      if (!realmId) throw new ProviderError('validation', 'QuickBooks did not say which company (realmId) was connected');
      const url = `${qbo.apiUrl}/v3/company/${encodeURIComponent(realmId)}/companyinfo/${encodeURIComponent(realmId)}?minorversion=${MINOR_VERSION}`;
      const res = await observeProviderCall(observability, { provider: 'quickbooks', operation: 'companyinfo' }, () => fetch(url, {
        headers: { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(15_000),
      }), fetchStatus);
      if (!res.ok) throw new ProviderError(res.status === 401 ? 'unauthorized' : 'transient', `QuickBooks companyinfo answered ${res.status}`, { status: res.status });
      const body = (await res.json()) as { CompanyInfo?: { CompanyName?: string } };
      return [{ id: realmId, name: body.CompanyInfo?.CompanyName ?? `Company ${realmId}` }];
    },
  };
}
