// login.xero.com (authorize) and identity.xero.com (token, revocation, discovery) look-alikes.
import { randomBytes, randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { SandboxContext } from './context.ts';
import type { Grant } from './oauth-store.ts';
import { ACCESS_TOKEN_TTL_S } from './oauth-store.ts';

const DEFAULT_USER_ID = '5f9d4e1c-2d7b-4f3a-9a51-7c3e1b0d2a64';

export function loginRoutes(ctx: SandboxContext): Hono {
  const app = new Hono();
  app.on(['GET', 'POST'], '/identity/connect/authorize', async (c) => {
    const q = c.req.query();
    if (q.client_id !== ctx.client.clientId) return c.text('Error: unauthorized_client\nInvalid client_id', 400);
    let redirect: URL;
    try {
      redirect = new URL(q.redirect_uri ?? '');
    } catch {
      return c.text('Error: invalid_request\nInvalid redirect_uri', 400);
    }
    const back = (params: Record<string, string | undefined>): Response => {
      for (const [k, v] of Object.entries(params)) if (v !== undefined) redirect.searchParams.set(k, v);
      return c.redirect(redirect.toString(), 302);
    };
    if (q.response_type !== 'code') return back({ error: 'unsupported_response_type', state: q.state });
    if (!q.scope) return back({ error: 'invalid_scope', state: q.state });
    const method = q.code_challenge_method;
    if (q.code_challenge !== undefined && method !== undefined && method !== 'S256' && method !== 'plain') {
      return back({ error: 'invalid_request', error_description: 'code_challenge_method', state: q.state });
    }
    const consent = ctx.consent.current;
    if (consent.deny) return back({ error: 'access_denied', state: q.state });
    const known = [...ctx.store.orgs.keys()];
    const offered = (consent.organisations ?? known).map((t) => t.toLowerCase()).filter((t) => ctx.store.orgs.has(t));
    if (consent.page && c.req.method === 'GET') return c.html(consentPage(q, offered.map((id) => ({ id, name: String(ctx.store.orgs.get(id)?.org.Name ?? id) }))));
    let tenantIds = offered;
    if (consent.page) {
      // The person's answer on the consent page: the organisations ticked, or Cancel.
      const form = await c.req.parseBody({ all: true });
      if (form.decision !== 'allow') return back({ error: 'access_denied', state: q.state });
      const ticked = new Set([form.organisation ?? []].flat().map(String));
      tenantIds = offered.filter((id) => ticked.has(id));
      if (tenantIds.length === 0) return c.html(consentPage(q, offered.map((id) => ({ id, name: String(ctx.store.orgs.get(id)?.org.Name ?? id) })), 'Select at least one organisation.'), 400);
    }
    const code = ctx.oauth.createCode({
      clientId: q.client_id,
      redirectUri: q.redirect_uri ?? '',
      scope: q.scope,
      userId: consent.userId ?? DEFAULT_USER_ID,
      tenantIds,
      ...(q.code_challenge !== undefined ? { challenge: q.code_challenge, challengeMethod: method ?? 'plain' } : {}),
      ...(q.nonce !== undefined ? { nonce: q.nonce } : {}),
    });
    return back({ code, scope: q.scope, state: q.state, session_state: randomBytes(16).toString('hex') });
  });
  return app;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Xero's consent screen, reduced to what a person does on it: tick organisations, allow or cancel. */
function consentPage(query: Record<string, string>, orgs: { id: string; name: string }[], problem?: string): string {
  const action = `?${new URLSearchParams(query).toString()}`;
  const boxes = orgs.map((o, i) => `<label><input type="checkbox" name="organisation" value="${escape(o.id)}"${i === 0 ? ' checked' : ''}> ${escape(o.name)}</label><br>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Xero sandbox: allow access</title></head><body><main>
<h1>Ledgerport wants access to your Xero organisations</h1>${problem ? `<p role="alert">${escape(problem)}</p>` : ''}
<form method="post" action="${escape(action)}"><fieldset><legend>Organisations to connect</legend>${boxes || '<p>No organisations in this sandbox.</p>'}</fieldset>
<button type="submit" name="decision" value="allow">Allow access</button> <button type="submit" name="decision" value="cancel">Cancel</button></form></main></body></html>`;
}

interface ClientAuth { clientId: string; secret?: string }

function clientAuth(header: string | undefined, form: URLSearchParams): ClientAuth | undefined {
  const m = header?.match(/^Basic\s+(\S+)$/i);
  if (m?.[1]) {
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const idx = decoded.indexOf(':');
    if (idx < 0) return undefined;
    const dec = (s: string): string => { try { return decodeURIComponent(s); } catch { return s; } };
    return { clientId: dec(decoded.slice(0, idx)), secret: dec(decoded.slice(idx + 1)) };
  }
  const id = form.get('client_id');
  if (!id) return undefined;
  const secret = form.get('client_secret');
  return secret === null ? { clientId: id } : { clientId: id, secret };
}

export function identityRoutes(ctx: SandboxContext): Hono {
  const app = new Hono();
  const issuer = ctx.urls.identityUrl;

  app.get('/.well-known/openid-configuration', (c) => c.json({
    issuer,
    jwks_uri: `${issuer}/.well-known/openid-configuration/jwks`,
    authorization_endpoint: `${ctx.urls.loginUrl}/identity/connect/authorize`,
    token_endpoint: `${issuer}/connect/token`,
    userinfo_endpoint: `${issuer}/connect/userinfo`,
    end_session_endpoint: `${ctx.urls.loginUrl}/identity/connect/endsession`,
    revocation_endpoint: `${issuer}/connect/revocation`,
    introspection_endpoint: `${issuer}/connect/introspect`,
    scopes_supported: ['openid', 'profile', 'email', 'offline_access', 'accounting.transactions', 'accounting.transactions.read',
      'accounting.contacts', 'accounting.contacts.read', 'accounting.settings', 'accounting.settings.read'],
    claims_supported: ['sub', 'xero_userid', 'global_session_id', 'email', 'given_name', 'family_name', 'preferred_username'],
    grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token', 'implicit'],
    response_types_supported: ['code', 'token', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'],
    response_modes_supported: ['form_post', 'query', 'fragment'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    code_challenge_methods_supported: ['plain', 'S256'],
    request_parameter_supported: true,
  }));
  app.get('/.well-known/openid-configuration/jwks', (c) => c.json(ctx.signer.jwks()));

  const tokenError = (c: Context, grantType: string, clientId: string | undefined, error: string): Response => {
    ctx.tokenRequests.push({ grant_type: grantType, ...(clientId ? { client_id: clientId } : {}), status: 400, error, time: ctx.clock.now() });
    return c.json({ error }, 400);
  };

  const issue = async (c: Context, grantType: string, grant: Grant): Promise<Response> => {
    const access_token = await ctx.signer.accessToken(grant);
    ctx.oauth.registerAccess(access_token, grant);
    const scopes = grant.scope.split(' ');
    const body: Record<string, unknown> = {};
    if (scopes.includes('openid')) body.id_token = await ctx.signer.idToken(grant);
    Object.assign(body, { access_token, expires_in: ACCESS_TOKEN_TTL_S, token_type: 'Bearer' });
    if (scopes.includes('offline_access')) body.refresh_token = ctx.oauth.issueRefresh(grant);
    body.scope = grant.scope;
    ctx.tokenRequests.push({ grant_type: grantType, client_id: grant.clientId, status: 200, time: ctx.clock.now() });
    c.header('Cache-Control', 'no-store, no-cache, max-age=0');
    c.header('Pragma', 'no-cache');
    return c.json(body, 200);
  };

  app.post('/connect/token', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const grantType = form.get('grant_type') ?? '';
    const auth = clientAuth(c.req.header('authorization'), form);
    if (!auth || auth.clientId !== ctx.client.clientId) return tokenError(c, grantType, auth?.clientId, 'invalid_client');
    if (auth.secret !== undefined && auth.secret !== ctx.client.clientSecret) return tokenError(c, grantType, auth.clientId, 'invalid_client');
    if (grantType === 'authorization_code') {
      const result = ctx.oauth.redeemCode(form.get('code') ?? '', auth.clientId, form.get('redirect_uri') ?? '', form.get('code_verifier') ?? undefined);
      if (typeof result === 'string') return tokenError(c, grantType, auth.clientId, result);
      if (auth.secret === undefined && !result.pkce) return tokenError(c, grantType, auth.clientId, 'invalid_client');
      return issue(c, grantType, result);
    }
    if (grantType === 'refresh_token') {
      const r = ctx.oauth.redeemRefresh(form.get('refresh_token') ?? '', auth.clientId);
      if (!r.ok) return tokenError(c, grantType, auth.clientId, r.error);
      if (auth.secret === undefined && !r.grant.pkce) return tokenError(c, grantType, auth.clientId, 'invalid_client');
      const grant: Grant = { ...r.grant, authTime: r.grant.authTime };
      delete grant.nonce;
      return issue(c, grantType, grant);
    }
    if (grantType === 'client_credentials') return tokenError(c, grantType, auth.clientId, 'unauthorized_client');
    return tokenError(c, grantType, auth.clientId, 'unsupported_grant_type');
  });

  app.post('/connect/revocation', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const auth = clientAuth(c.req.header('authorization'), form);
    if (!auth || auth.clientId !== ctx.client.clientId || (auth.secret !== undefined && auth.secret !== ctx.client.clientSecret)) {
      return c.json({ error: 'invalid_client' }, 400);
    }
    const token = form.get('token');
    if (!token) return c.json({ error: 'invalid_request' }, 400);
    ctx.oauth.revokeToken(token, auth.clientId);
    return c.body(null, 200);
  });

  app.get('/connect/userinfo', (c) => {
    const r = ctx.oauth.authenticate(c.req.header('authorization'));
    if (!r.ok) return c.json({ error: 'invalid_token' }, 401);
    return c.json({ sub: r.grant.userId.replace(/-/g, ''), xero_userid: r.grant.userId, email: 'sandbox.user@example.com',
      given_name: 'Sandbox', family_name: 'User', preferred_username: 'sandbox.user@example.com', session: randomUUID() });
  });
  return app;
}
