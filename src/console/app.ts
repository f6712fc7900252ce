import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Hono, type MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors.ts';
import { connectionPages } from './pages/connection.ts';
import { defaultsPages } from './pages/defaults.ts';
import { documentPages } from './pages/documents.ts';
import { runPages } from './pages/runs.ts';
import { livePages } from './live.ts';
import { page, plainPage, tenantBase } from './layout.ts';
import { csrfMatches, openConsoleLink, revokeConsoleSession, sessionFromCookie, type ConsoleSession } from './sessions.ts';

export interface ConsoleEnv {
  Variables: { requestId: string; session: ConsoleSession; tenantId: string };
}

export const COOKIE = 'lp_console';
const ASSET_DIR = path.join(import.meta.dirname, 'assets');
const ASSETS: Record<string, string> = { 'console.css': 'text/css; charset=utf-8', 'console.js': 'text/javascript; charset=utf-8' };

export const consoleError = (status: number, message: string) => new AppError(status, status === 404 ? 'not_found' : 'console_error', message);

/** Every console response: no framing but by the configured ancestors, nothing from elsewhere, never cached. */
function securityHeaders(ctx: AppContext): MiddlewareHandler {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    `frame-ancestors ${ctx.config.console.frameAncestors.join(' ')}`,
  ].join('; ');
  return async (c, next) => {
    await next();
    c.header('content-security-policy', csp);
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    if (!c.req.path.startsWith('/console/assets/')) c.header('cache-control', 'no-store');
  };
}

/** The session cookie names an open session; the tenant in the path is one it may see. */
function requireSession(ctx: AppContext): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const session = await sessionFromCookie(ctx.db, getCookie(c, COOKIE), ctx.now());
    if (!session) {
      c.status(401);
      return c.html(plainPage('Signed out', 'This console session has ended or was revoked. Open the console again from your platform.'));
    }
    c.set('session', session);
    // Every state-changing request carries the session's CSRF token (a form field or a header).
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const type = c.req.header('content-type') ?? '';
      const form = type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data') ? await c.req.parseBody() : {};
      const submitted = typeof form._csrf === 'string' ? form._csrf : c.req.header('x-csrf-token');
      if (!csrfMatches(session, submitted)) throw consoleError(403, 'This form has expired or did not come from the console. Go back, reload the page and try again.');
    }
    await next();
  };
}

function requireTenant(): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const tenantId = c.req.param('tenant_id') ?? '';
    const session = c.get('session');
    // Another tenant's console looks absent, as in the REST API.
    if (tenantId.length === 0 || tenantId.length > 200 || (session.tenantId !== null && session.tenantId !== tenantId)) throw consoleError(404, 'Not found.');
    c.set('tenantId', tenantId);
    await next();
  };
}

export function consoleApp(ctx: AppContext) {
  const log = ctx.logger.child({ subsystem: 'console' });
  const assets = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(path.join(ASSET_DIR, name))]));

  const tenantPages = new Hono<ConsoleEnv>()
    .use('*', requireTenant())
    .get('/', (c) => c.redirect(`${tenantBase(c.get('tenantId'))}/documents`, 303))
    .route('/', connectionPages(ctx))
    .route('/', defaultsPages(ctx))
    .route('/', documentPages(ctx))
    .route('/', runPages(ctx))
    .route('/', livePages(ctx));

  const signedIn = new Hono<ConsoleEnv>()
    .use('*', requireSession(ctx))
    .get('/', async (c) => {
      const session = c.get('session');
      if (session.tenantId !== null) return c.redirect(`${tenantBase(session.tenantId)}/documents`, 303);
      const tenants = await ctx.db
        .selectFrom('tenants')
        .leftJoin('connections', 'connections.tenant_id', 'tenants.id')
        .select(['tenants.id', 'connections.provider', 'connections.status', 'connections.provider_org_name'])
        .orderBy('tenants.id')
        .limit(500)
        .execute();
      return c.html(
        page(
          { title: 'Tenants', session },
          html`<table><caption>Every tenant Ledgerport knows (first 500)</caption><thead><tr><th scope="col">Tenant</th><th scope="col">Provider</th><th scope="col">Organisation</th><th scope="col">Connection</th></tr></thead>
<tbody>${tenants.map((t) => html`<tr><td><a href="${tenantBase(t.id)}/documents">${t.id}</a></td><td>${t.provider ?? '-'}</td><td>${t.provider_org_name ?? '-'}</td><td>${t.status ?? 'not connected'}</td></tr>`)}</tbody></table>`,
        ),
      );
    })
    .post('/logout', async (c) => {
      const session = c.get('session');
      await revokeConsoleSession(ctx.db, { id: session.id, tenantId: session.tenantId, now: ctx.now() });
      deleteCookie(c, COOKIE, { path: '/console' });
      log.info({ sessionId: session.id, tenantId: session.tenantId }, 'console session signed out');
      return c.html(plainPage('Signed out', 'You have signed out of the console.'));
    })
    .route('/t/:tenant_id', tenantPages);

  return new Hono<ConsoleEnv>()
    .use('*', securityHeaders(ctx))
    .get('/assets/:name', (c) => {
      const name = c.req.param('name');
      const body = assets.get(name);
      if (!body) throw consoleError(404, 'Not found.');
      c.header('content-type', ASSETS[name]!);
      c.header('cache-control', 'public, max-age=300');
      return c.body(new Uint8Array(body));
    })
    // The one-time link: claim it, set the session cookie, and go to the console without the token in the URL.
    .get('/open', async (c) => {
      const token = c.req.query('token') ?? '';
      try {
        const { cookie, session } = await openConsoleLink(ctx.db, token, ctx.now());
        setCookie(c, COOKIE, cookie, { path: '/console', httpOnly: true, secure: ctx.config.console.secureCookie, sameSite: 'Strict', expires: session.expiresAt });
        log.info({ sessionId: session.id, tenantId: session.tenantId }, 'console link opened');
        return c.redirect(session.tenantId === null ? '/console' : `${tenantBase(session.tenantId)}/documents`, 303);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        log.info({ code: error.code }, 'console link refused');
        c.status(410);
        return c.html(plainPage('Link no longer valid', error.message));
      }
    })
    // Back from the provider's consent page: a cross-site navigation, on which the SameSite=Strict
    // cookie is not sent. This page (no session needed) moves on within the site, where it is.
    .get('/return', (c) => {
      const to = c.req.query('to') ?? '';
      if (!/^\/console\/t\/[^/?#]+\/connection$/.test(to)) throw consoleError(400, 'That is not a console page.');
      const params = new URLSearchParams();
      for (const name of ['status', 'error']) {
        const value = c.req.query(name);
        if (value && /^[a-z_]{1,50}$/.test(value)) params.set(name, value);
      }
      const target = params.size ? `${to}?${params.toString()}` : to;
      return c.html(
        html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${target}"><title>Back to the console · Ledgerport</title><link rel="stylesheet" href="/console/assets/console.css"></head>
<body><main id="main"><h1>Back to the console</h1><p><a href="${target}">Continue to the connection page</a></p></main></body></html>`,
      );
    })
    .route('/', signedIn);
}
