import { Hono } from 'hono';
import * as v from 'valibot';
import { chooseOrganisation, disconnect, startAuthorization, type ConnectionDeps } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import { notFound } from '../../errors.ts';
import { CAPABILITIES } from '../../providers/capabilities.ts';
import type { AppEnv } from '../env.ts';
import { parseInput, readJson } from '../validate.ts';

const AuthorizeBody = v.strictObject({
  provider: v.picklist(['xero', 'quickbooks']),
  // The callback sends the user's browser there: only a web page, never javascript:, data: or file:.
  return_url: v.optional(v.pipe(v.string(), v.url('must be a URL'), v.regex(/^https?:\/\//i, 'must be an http(s) URL'), v.maxLength(2000))),
});
const ChooseBody = v.strictObject({ organisation_id: v.pipe(v.string(), v.minLength(1), v.maxLength(200)) });

export function connectionDeps(ctx: AppContext): ConnectionDeps {
  return { db: ctx.db, cipher: ctx.services.cipher, providers: ctx.services.providers, logger: ctx.logger.child({ subsystem: 'connections' }), now: ctx.now };
}

/** Tokens never leave this view: only what the platform needs to show the connection. */
async function connectionView(ctx: AppContext, tenantId: string) {
  const row = await ctx.db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
  if (!row) throw notFound('connection');
  const choices = (row.pending_organisations as { id: string; name: string }[] | null) ?? [];
  const capabilities = CAPABILITIES[row.provider];
  return {
    tenant_id: tenantId,
    provider: row.provider,
    status: row.status,
    status_reason: row.status_reason,
    organisation: row.provider_org_id && row.status !== 'pending' ? { id: row.provider_org_id, name: row.provider_org_name } : null,
    organisations_to_choose: choices.map((o) => ({ id: o.id, name: o.name })),
    connected_at: row.connected_at?.toISOString() ?? null,
    disconnected_at: row.disconnected_at?.toISOString() ?? null,
    access_token_expires_at: row.access_token_expires_at?.toISOString() ?? null,
    refresh_token_expires_at: row.refresh_token_expires_at?.toISOString() ?? null,
    updated_at: row.updated_at.toISOString(),
    capabilities: {
      tax_mapping: capabilities.taxMapping,
      auto_push_invoices_default: capabilities.autoPushInvoicesDefault,
      max_documents_per_request: capabilities.maxDocumentsPerRequest,
    },
  };
}

export function connectionRoutes(ctx: AppContext) {
  const deps = connectionDeps(ctx);
  return new Hono<AppEnv>()
    .post('/connection/authorize', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const body = parseInput(AuthorizeBody, await readJson(c.req), 'authorize request');
      const started = await startAuthorization(deps, tenantId, body.provider, body.return_url);
      return c.json({ authorize_url: started.authorizeUrl, expires_at: started.expiresAt.toISOString() });
    })
    .get('/connection', async (c) => c.json(await connectionView(ctx, c.req.param('tenant_id')!)))
    .put('/connection', async (c) => {
      const tenantId = c.req.param('tenant_id')!;
      const body = parseInput(ChooseBody, await readJson(c.req), 'organisation choice');
      await chooseOrganisation(deps, tenantId, body.organisation_id);
      return c.json(await connectionView(ctx, tenantId));
    })
    .delete('/connection', async (c) => {
      await disconnect(deps, c.req.param('tenant_id')!);
      return c.body(null, 204);
    });
}
