// appcenter.intuit.com/connect/oauth2 (consent) and oauth.platform.intuit.com (tokens, revoke,
// userinfo, JWKS, discovery) look-alikes, faithful to what intuit-oauth's OAuthClient sends.
import { Hono } from 'hono';
import type { Context } from 'hono';
import type { SandboxContext } from './context.ts';
import { INTUIT_ISSUER } from './id-token.ts';
import type { Grant } from './oauth-store.ts';
import { ACCESS_TOKEN_TTL_S, REFRESH_HARD_TTL_S, REFRESH_TOKEN_TTL_S } from './oauth-store.ts';

export const KNOWN_SCOPES = new Set([
  'com.intuit.quickbooks.accounting', 'com.intuit.quickbooks.payment', 'payroll.compensation.read',
  'project-management.project', 'app-foundations.custom-dimensions.read', 'app-foundations.custom-field-definitions',
  'time-tracking.time-entry', 'indirect-tax.tax-calculation.quickbooks', 'profile', 'email', 'phone', 'address', 'openid',
]);
export const ACCOUNTING_SCOPE = 'com.intuit.quickbooks.accounting';

/** GET on authorizeUrl: the consent page, answered at once with a 302 back to redirect_uri. */
export function authorizeRoutes(ctx: SandboxContext): Hono {
  const app = new Hono();
  app.on(['GET', 'POST'], '/', async (c) => {
    const q = c.req.query();
    if (q.client_id !== ctx.client.clientId) return c.text('invalid_client: the client_id is not a registered app', 400);
    let redirect: URL;
    try {
      redirect = new URL(q.redirect_uri ?? '');
    } catch {
      return c.text('invalid_request: redirect_uri is missing or not a URL', 400);
    }
    const back = (params: Record<string, string | undefined>): Response => {
      for (const [k, v] of Object.entries(params)) if (v !== undefined) redirect.searchParams.set(k, v);
      return c.redirect(redirect.toString(), 302);
    };
    if (q.response_type !== 'code') return back({ error: 'unsupported_response_type', state: q.state });
    const scopes = (q.scope ?? '').split(/[ +]/).filter(Boolean);
    if (scopes.length === 0 || scopes.some((s) => !KNOWN_SCOPES.has(s))) return back({ error: 'invalid_scope', state: q.state });
    const consent = ctx.consent.current;
    if (consent.deny) return back({ error: 'access_denied', state: q.state });
    let realmId = consent.realmId ?? ctx.store.companies.keys().next().value;
    if (consent.page) {
      const offered = consent.realmId ? [consent.realmId] : [...ctx.store.companies.keys()];
      if (c.req.method === 'GET') return c.html(consentPage(q, offered.map((id) => ({ id, name: ctx.store.get(id)?.company.name ?? id }))));
      const form = await c.req.parseBody();
      if (form.decision !== 'connect') return back({ error: 'access_denied', state: q.state });
      realmId = offered.find((id) => id === form.realmId);
    }
    if (realmId === undefined || !ctx.store.get(realmId)) return c.text('No QuickBooks company to connect (call addCompany first)', 400);
    const code = ctx.oauth.createCode({ clientId: q.client_id, redirectUri: q.redirect_uri ?? '', scope: scopes.join(' '), realmId });
    return back({ code, state: q.state, realmId });
  });
  return app;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Intuit's consent screen, reduced to what a person does on it: pick the company, connect or cancel. */
function consentPage(query: Record<string, string>, companies: { id: string; name: string }[]): string {
  const action = `?${new URLSearchParams(query).toString()}`;
  const radios = companies.map((co, i) => `<label><input type="radio" name="realmId" value="${escape(co.id)}"${i === 0 ? ' checked' : ''}> ${escape(co.name)}</label><br>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>QuickBooks sandbox: connect</title></head><body><main>
<h1>Ledgerport wants to connect to QuickBooks</h1>
<form method="post" action="${escape(action)}"><fieldset><legend>Company</legend>${radios || '<p>No company in this sandbox.</p>'}</fieldset>
<button type="submit" name="decision" value="connect">Connect</button> <button type="submit" name="decision" value="cancel">Cancel</button></form></main></body></html>`;
}

function basicAuth(header: string | undefined): { clientId: string; secret: string } | undefined {
  const m = header?.match(/^Basic\s+(\S+)$/i);
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const idx = decoded.indexOf(':');
  if (idx < 0) return undefined;
  return { clientId: decoded.slice(0, idx), secret: decoded.slice(idx + 1) };
}

/** Form or JSON body (intuit-oauth posts the revoke request as JSON and token requests as a form). */
async function readParams(c: Context): Promise<URLSearchParams> {
  const text = await c.req.text();
  if ((c.req.header('content-type') ?? '').includes('json')) {
    try {
      const obj = JSON.parse(text) as Record<string, unknown>;
      return new URLSearchParams(Object.entries(obj).map(([k, v]): [string, string] => [k, String(v)]));
    } catch {
      return new URLSearchParams();
    }
  }
  return new URLSearchParams(text);
}

export function oauthRoutes(ctx: SandboxContext): Hono {
  const app = new Hono();
  const clientOk = (c: Context): string | undefined => {
    const auth = basicAuth(c.req.header('authorization'));
    return auth && auth.clientId === ctx.client.clientId && auth.secret === ctx.client.clientSecret ? auth.clientId : undefined;
  };

  const tokenError = (c: Context, grantType: string, status: 400 | 401, error: string, clientId?: string): Response => {
    ctx.tokenRequests.push({ grant_type: grantType, ...(clientId ? { client_id: clientId } : {}), status, error, time: ctx.clock.now() });
    return c.json({ error }, status);
  };

  const issue = async (c: Context, grantType: string, grant: Grant): Promise<Response> => {
    const body: Record<string, unknown> = {
      token_type: 'bearer',
      access_token: ctx.oauth.issueAccess(grant),
      refresh_token: ctx.oauth.issueRefresh(grant),
      expires_in: ACCESS_TOKEN_TTL_S,
      x_refresh_token_expires_in: REFRESH_TOKEN_TTL_S,
    };
    if (c.req.header('x-include-refresh-token-hard-expires-in') === 'true') {
      body.x_refresh_token_hard_expires_in = Math.floor((grant.authTime - ctx.clock.now()) / 1000) + REFRESH_HARD_TTL_S;
    }
    if (grantType === 'authorization_code' && grant.scope.split(' ').includes('openid')) body.id_token = await ctx.idTokens.idToken(grant);
    ctx.tokenRequests.push({ grant_type: grantType, client_id: grant.clientId, realmId: grant.realmId, status: 200, time: ctx.clock.now() });
    c.header('Cache-Control', 'no-cache, no-store');
    c.header('Pragma', 'no-cache');
    c.header('intuit_tid', crypto.randomUUID());
    return c.json(body, 200);
  };

  app.post('/oauth2/v1/tokens/bearer', async (c) => {
    const form = await readParams(c);
    const grantType = form.get('grant_type') ?? '';
    const clientId = clientOk(c);
    if (!clientId) return tokenError(c, grantType, 401, 'invalid_client', basicAuth(c.req.header('authorization'))?.clientId);
    if (grantType === 'authorization_code') {
      const grant = ctx.oauth.redeemCode(form.get('code') ?? '', clientId, form.get('redirect_uri') ?? '');
      if (typeof grant === 'string') return tokenError(c, grantType, 400, grant, clientId);
      return issue(c, grantType, grant);
    }
    if (grantType === 'refresh_token') {
      const grant = ctx.oauth.redeemRefresh(form.get('refresh_token') ?? '', clientId);
      if (typeof grant === 'string') return tokenError(c, grantType, 400, grant, clientId);
      return issue(c, grantType, grant);
    }
    return tokenError(c, grantType, 400, 'unsupported_grant_type', clientId);
  });

  const revoke = async (c: Context): Promise<Response> => {
    const form = await readParams(c);
    const clientId = clientOk(c);
    if (!clientId) return c.json({ error: 'invalid_client' }, 401);
    const token = form.get('token');
    if (!token) return c.json({ error: 'invalid_request' }, 400);
    ctx.oauth.revokeToken(token, clientId);
    ctx.tokenRequests.push({ grant_type: 'revoke', client_id: clientId, status: 200, time: ctx.clock.now() });
    return c.body(null, 200);
  };
  app.post('/oauth2/v1/tokens/revoke', revoke);
  app.post('/v2/oauth2/tokens/revoke', revoke);

  app.get('/v1/openid_connect/userinfo', (c) => {
    const r = ctx.oauth.authenticate(c.req.header('authorization'));
    if (!r.ok || !r.grant.scope.split(' ').includes('openid')) return c.json({ error: 'invalid_token' }, 401);
    return c.json({ sub: r.grant.userId, email: 'sandbox.user@example.com', emailVerified: true, givenName: 'Sandbox', familyName: 'User' });
  });
  app.get('/op/v1/jwks', async (c) => c.json(await ctx.idTokens.jwks()));
  app.get('/.well-known/openid_configuration', (c) => c.json({
    issuer: INTUIT_ISSUER,
    authorization_endpoint: ctx.urls.authorizeUrl,
    token_endpoint: `${ctx.urls.oauthUrl}/oauth2/v1/tokens/bearer`,
    userinfo_endpoint: `${ctx.urls.oauthUrl}/v1/openid_connect/userinfo`,
    revocation_endpoint: `${ctx.urls.oauthUrl}/oauth2/v1/tokens/revoke`,
    jwks_uri: `${ctx.urls.oauthUrl}/op/v1/jwks`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: [...KNOWN_SCOPES],
    token_endpoint_auth_methods_supported: ['client_secret_basic'],
    claims_supported: ['aud', 'exp', 'iat', 'iss', 'realmid', 'sub'],
  }));
  return app;
}
