import { Hono } from 'hono';
import { html } from 'hono/html';
import { chooseOrganisation, disconnect, startAuthorization } from '../../connections/service.ts';
import type { AppContext } from '../../context.ts';
import type { ProviderName } from '../../db/schema.ts';
import { AppError } from '../../errors.ts';
import { CAPABILITIES } from '../../providers/capabilities.ts';
import { connectionDeps } from '../../http/routes/connection.ts';
import { consoleOrigin } from '../../http/routes/console-sessions.ts';
import { consoleError, type ConsoleEnv } from '../app.ts';
import { actionForm, csrfField, page, tenantBase, when } from '../layout.ts';
import { PROVIDER_TITLES } from '../vocabulary.ts';

const RETURN_NOTICES: Record<string, string> = {
  connected: 'Connected. Documents held for the connection are on their way.',
  pending: 'Several organisations were authorised: choose the one to use.',
};

export function connectionPages(ctx: AppContext) {
  const deps = connectionDeps(ctx);
  const configured = (Object.keys(PROVIDER_TITLES) as ProviderName[]).filter((p) => ctx.services.providers[p]);
  return new Hono<ConsoleEnv>()
    .get('/connection', async (c) => {
      const tenantId = c.get('tenantId');
      const session = c.get('session');
      const base = tenantBase(tenantId);
      const row = await ctx.db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
      const status = c.req.query('status');
      const error = c.req.query('error');
      const notice = (status && RETURN_NOTICES[status]) ?? c.req.query('notice')?.slice(0, 300);
      const choices = (row?.pending_organisations as { id: string; name: string }[] | null) ?? [];
      const live = row && row.status !== 'disconnected';
      const connectButtons = (verb: string) =>
        html`<div class="actions">${configured.map((p) => actionForm(session, `${base}/connection/connect`, `${verb} ${PROVIDER_TITLES[p]}`, { fields: { provider: p }, style: 'primary' }))}</div>`;
      const body = !live
        ? html`<p>This tenant is not connected to an accounting system. Connecting opens the provider's consent page; you come back here after.</p>
${configured.length ? connectButtons('Connect to') : html`<p class="error">No provider is configured on this gateway (client id and secret).</p>`}`
        : html`<dl class="facts">
<dt>Provider</dt><dd>${PROVIDER_TITLES[row.provider]}</dd>
<dt>Organisation</dt><dd>${row.status === 'pending' ? 'not chosen yet' : (row.provider_org_name ?? row.provider_org_id ?? '-')}</dd>
<dt>Status</dt><dd data-connection-status="${row.status}"><span class="status status-${row.status}">${row.status.replace('_', ' ')}</span>${row.status_reason ? html` — ${row.status_reason}` : ''}</dd>
<dt>Connected</dt><dd>${when(row.connected_at)}</dd>
<dt>Access renews by</dt><dd>${when(row.refresh_token_expires_at)}</dd>
<dt>Capabilities</dt><dd>tax by ${CAPABILITIES[row.provider].taxMapping.replace(/_/g, ' ')}; up to ${CAPABILITIES[row.provider].maxDocumentsPerRequest} documents per request; invoices pushed automatically by default: ${CAPABILITIES[row.provider].autoPushInvoicesDefault ? 'yes' : 'no'}</dd>
</dl>
${choices.length ? html`<form method="post" action="${base}/connection/organisation">${csrfField(session)}<fieldset><legend>Choose the organisation</legend>${choices.map((o, i) => html`<label class="choice"><input type="radio" name="organisation_id" value="${o.id}"${i === 0 ? ' checked' : ''}> ${o.name}</label>`)}</fieldset><button type="submit" class="primary">Use this organisation</button></form>` : ''}
<div class="actions">
${ctx.services.providers[row.provider] ? actionForm(session, `${base}/connection/connect`, row.status === 'needs_reauth' ? 'Reconnect (authorisation needed)' : 'Reconnect', { fields: { provider: row.provider }, style: row.status === 'needs_reauth' ? 'primary' : 'plain' }) : ''}
${actionForm(session, `${base}/connection/disconnect`, 'Disconnect', { style: 'danger', confirm: 'Disconnect? Documents wait, held, until you connect again.' })}
</div>`;
      return c.html(page({ title: 'Connection', session, tenantId, section: 'connection', notice, error: error ? `The provider did not connect: ${error.replace(/_/g, ' ')}.` : undefined }, body));
    })
    .post('/connection/connect', async (c) => {
      const tenantId = c.get('tenantId');
      const form = await c.req.parseBody();
      const provider = configured.find((p) => p === form.provider);
      if (!provider) throw consoleError(400, 'Choose one of the providers offered.');
      // The provider sends the browser back through a page of ours, so the SameSite=Strict cookie is sent again (see /console/return).
      const back = `${consoleOrigin(ctx, c)}/console/return?to=${encodeURIComponent(`${tenantBase(tenantId)}/connection`)}`;
      const { authorizeUrl } = await startAuthorization(deps, tenantId, provider, back);
      return c.redirect(authorizeUrl, 303);
    })
    .post('/connection/organisation', async (c) => {
      const tenantId = c.get('tenantId');
      const form = await c.req.parseBody();
      const chosen = typeof form.organisation_id === 'string' ? form.organisation_id : '';
      if (!chosen) throw consoleError(400, 'Choose an organisation.');
      await chooseOrganisation(deps, tenantId, chosen);
      return c.redirect(`${tenantBase(tenantId)}/connection?status=connected`, 303);
    })
    .post('/connection/disconnect', async (c) => {
      const tenantId = c.get('tenantId');
      let notice = 'Disconnected. New documents are held until you connect again.';
      try {
        await disconnect(deps, tenantId);
      } catch (error) {
        if (!(error instanceof AppError) || error.status !== 404) throw error;
        notice = 'There was no connection to disconnect.';
      }
      return c.redirect(`${tenantBase(tenantId)}/connection?notice=${encodeURIComponent(notice)}`, 303);
    });
}
