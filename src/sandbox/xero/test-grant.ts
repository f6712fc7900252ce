// Convenience for tests: run the real authorize → code → token exchange over HTTP.
import { randomBytes } from 'node:crypto';
import type { SandboxContext } from './context.ts';
import { pkceChallenge } from './oauth-store.ts';

export interface GrantTokensOptions {
  /** Tenant ids the user consents to (default: the current consent setting, else all organisations). */
  organisations?: string[];
  scope?: string;
  redirectUri?: string;
}

export interface TokenResponse {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  expires_in: number;
  token_type: string;
  scope: string;
}

export const DEFAULT_SCOPE = 'openid profile email offline_access accounting.transactions accounting.contacts accounting.settings';

export async function grantTokens(ctx: SandboxContext, o: GrantTokensOptions = {}): Promise<TokenResponse> {
  const redirectUri = o.redirectUri ?? 'http://127.0.0.1/callback';
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${ctx.urls.loginUrl}/identity/connect/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code', client_id: ctx.client.clientId, redirect_uri: redirectUri, scope: o.scope ?? DEFAULT_SCOPE,
    state: randomBytes(8).toString('hex'), code_challenge: pkceChallenge(verifier), code_challenge_method: 'S256',
  }).toString();
  const saved = ctx.consent.current;
  if (o.organisations) ctx.consent.current = { organisations: o.organisations };
  let location: string | null;
  try {
    location = (await fetch(authorize, { redirect: 'manual' })).headers.get('location');
  } finally {
    ctx.consent.current = saved;
  }
  const code = location ? new URL(location).searchParams.get('code') : null;
  if (!code) throw new Error(`authorize did not return a code: ${location ?? 'no redirect'}`);
  const res = await fetch(`${ctx.urls.identityUrl}/connect/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${ctx.client.clientId}:${ctx.client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }),
  });
  if (res.status !== 200) throw new Error(`token exchange failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as TokenResponse;
}
