// Convenience for tests: run the real consent → code → token exchange over HTTP.
import { randomBytes } from 'node:crypto';
import type { SandboxContext } from './context.ts';

export interface GrantTokensOptions {
  /** Company to connect (default: the current consent setting, else the first company). */
  realmId?: string;
  scope?: string;
  redirectUri?: string;
}

export interface TokenResponse {
  token_type: string;
  access_token: string;
  refresh_token: string;
  expires_in: number;
  x_refresh_token_expires_in: number;
  id_token?: string;
  /** From the redirect, as intuit-oauth's createToken() reads it. */
  realmId: string;
}

export const DEFAULT_SCOPE = 'com.intuit.quickbooks.accounting openid profile email';

export async function grantTokens(ctx: SandboxContext, o: GrantTokensOptions = {}): Promise<TokenResponse> {
  const redirectUri = o.redirectUri ?? 'http://127.0.0.1/callback';
  const authorize = new URL(ctx.urls.authorizeUrl);
  authorize.search = new URLSearchParams({
    client_id: ctx.client.clientId, redirect_uri: redirectUri, response_type: 'code', scope: o.scope ?? DEFAULT_SCOPE,
    state: randomBytes(8).toString('hex'),
  }).toString();
  const saved = ctx.consent.current;
  if (o.realmId) ctx.consent.current = { realmId: o.realmId };
  let location: string | null;
  try {
    location = (await fetch(authorize, { redirect: 'manual' })).headers.get('location');
  } finally {
    ctx.consent.current = saved;
  }
  const back = location ? new URL(location) : undefined;
  const code = back?.searchParams.get('code');
  if (!back || !code) throw new Error(`authorize did not return a code: ${location ?? 'no redirect'}`);
  const res = await fetch(`${ctx.urls.oauthUrl}/oauth2/v1/tokens/bearer`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${ctx.client.clientId}:${ctx.client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }),
  });
  if (res.status !== 200) throw new Error(`token exchange failed: ${res.status} ${await res.text()}`);
  return { ...((await res.json()) as Omit<TokenResponse, 'realmId'>), realmId: back.searchParams.get('realmId') ?? '' };
}
