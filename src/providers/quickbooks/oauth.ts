import type { Config } from '../../config.ts';
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

export function createQuickBooksOAuth(qbo: Config['quickbooks'], redirectUri: string): ProviderOAuth {
  let loaded: Promise<IntuitModule> | undefined;
  const client = async (): Promise<IntuitClient> => {
    const OAuthClient = await (loaded ??= loadIntuit(qbo));
    return new OAuthClient({ clientId: qbo.clientId ?? '', clientSecret: qbo.clientSecret ?? '', environment: 'production', redirectUri, logging: false });
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
      const oauth = await client();
      const query = new URLSearchParams(callback).toString();
      const response = await oauth.createToken(`${redirectUri}?${query}`);
      return toTokenSet(response.getJson() as Record<string, unknown>, callback.realmId);
    },

    async refresh(tokens) {
      const oauth = await client();
      try {
        const response = await oauth.refreshUsingToken(tokens.refreshToken);
        return { ...toTokenSet(response.getJson() as Record<string, unknown>, tokens.providerOrgId) };
      } catch (error) {
        if ((error as { error?: string }).error === 'invalid_grant') throw new InvalidGrantError();
        throw error;
      }
    },

    async revoke(tokens) {
      const oauth = await client();
      await oauth.revoke({ refresh_token: tokens.refreshToken });
    },

    async listOrganisations(tokens) {
      const realmId = tokens.providerOrgId;
      if (!realmId) throw new ProviderError('validation', 'QuickBooks did not say which company (realmId) was connected');
      const res = await fetch(`${qbo.apiUrl}/v3/company/${encodeURIComponent(realmId)}/companyinfo/${encodeURIComponent(realmId)}?minorversion=${MINOR_VERSION}`, {
        headers: { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' },
        signal: AbortSignal.timeout(15_000),
      });
      if (!res.ok) throw new ProviderError(res.status === 401 ? 'unauthorized' : 'transient', `QuickBooks companyinfo answered ${res.status}`, { status: res.status });
      const body = (await res.json()) as { CompanyInfo?: { CompanyName?: string } };
      return [{ id: realmId, name: body.CompanyInfo?.CompanyName ?? `Company ${realmId}` }];
    },
  };
}
