import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceEvent } from './helpers/events.ts';
import { startHarness, type Harness } from './helpers/harness.ts';

/**
 * Console sessions over HTTP: the one-time link, the cookie it sets, CSRF on every form, and
 * tenants kept apart. (test/browser/ drives the same pages in Chromium.)
 */
let h: Harness;
let clock = Date.now();
beforeAll(async () => {
  h = await startHarness({ now: () => new Date(clock) });
});
afterAll(async () => {
  await h.close();
});

async function link(tenantId: string, token?: string) {
  const res = await h.request('POST', `/v1/tenants/${tenantId}/console-sessions`, { token: token ?? (await h.token(tenantId)) });
  expect(res.status).toBe(201);
  return res.body as { id: string; url: string; expires_at: string; session_expires_at: string; tenant_id: string | null };
}
const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};
/** Opens a link as a browser would; returns the cookie header to send next. */
async function open(url: string) {
  const res = await h.request('GET', pathOf(url));
  const setCookie = res.headers.get('set-cookie');
  return { res, cookie: setCookie ? setCookie.split(';')[0]! : undefined, setCookie };
}
const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('console links and sessions', () => {
  it('a link opens once: the cookie is HttpOnly, SameSite=Strict, for /console; the token leaves the address', async () => {
    const l = await link('org_a');
    expect(l.url).toMatch(/\/console\/open\?token=[A-Za-z0-9_-]{40,}$/);
    expect(Date.parse(l.expires_at) - clock).toBe(5 * 60_000);
    const { res, cookie, setCookie } = await open(l.url);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/t/org_a/documents');
    expect(setCookie).toMatch(/^lp_console=[A-Za-z0-9_-]+; .*HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/console/);
    const page = await h.request('GET', '/console/t/org_a/documents', { headers: { cookie: cookie! } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'self'/);
    expect(page.text).toContain('<h1>Documents</h1>');
    // The page never shows the link's token or the session's secret.
    expect(page.text).not.toContain(new URL(l.url).searchParams.get('token')!);
    expect(page.text).not.toContain(cookie!.split('=')[1]!);

    const again = await open(l.url);
    expect(again.res.status).toBe(410);
    expect(again.cookie).toBeUndefined();
    expect(again.res.text).toContain('no longer valid');
  });

  it('an expired link is refused; a session ends when it expires or is revoked', async () => {
    const stale = await link('org_b');
    clock += 5 * 60_000 + 1;
    expect((await open(stale.url)).res.status).toBe(410);

    const l = await link('org_b');
    const { cookie } = await open(l.url);
    expect((await h.request('GET', '/console/t/org_b/documents', { headers: { cookie: cookie! } })).status).toBe(200);
    const revoked = await h.request('DELETE', `/v1/tenants/org_b/console-sessions/${l.id}`, { token: await h.token('org_b') });
    expect(revoked.status).toBe(204);
    const after = await h.request('GET', '/console/t/org_b/documents', { headers: { cookie: cookie! } });
    expect(after.status).toBe(401);
    expect(after.text).toContain('Signed out');
    expect((await h.request('DELETE', `/v1/tenants/org_b/console-sessions/${l.id}`, { token: await h.token('org_b') })).status).toBe(404);

    const later = await link('org_b');
    const second = await open(later.url);
    clock += 8 * 60 * 60_000 + 1;
    expect((await h.request('GET', '/console/t/org_b/documents', { headers: { cookie: second.cookie! } })).status).toBe(401);
  });

  it('no cookie, a made-up cookie, or a bad token: no console', async () => {
    expect((await h.request('GET', '/console/t/org_a/documents')).status).toBe(401);
    expect((await h.request('GET', '/console/t/org_a/documents', { headers: { cookie: 'lp_console=made-up' } })).status).toBe(401);
    expect((await h.request('GET', '/console/open?token=nope')).status).toBe(410);
    expect((await h.request('GET', `/console/open?token=${'x'.repeat(500)}`)).status).toBe(410);
    expect((await h.request('GET', '/console/open')).status).toBe(410);
    expect((await h.request('POST', '/v1/tenants/org_a/console-sessions')).status).toBe(401);
    expect((await h.request('POST', '/v1/tenants/org_a/console-sessions', { token: await h.token('org_other') })).status).toBe(404);
  });

  it('forms need the session CSRF token; another tenant, and another tenant’s document, are not found', async () => {
    const { cookie } = await open((await link('org_c')).url);
    const connection = await h.request('GET', '/console/t/org_c/connection', { headers: { cookie: cookie! } });
    const csrf = csrfOf(connection.text)!;
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    const headers = { cookie: cookie!, 'content-type': 'application/x-www-form-urlencoded' };
    const without = await h.request('POST', '/console/t/org_c/connection/disconnect', { headers, rawBody: form({}) });
    expect(without.status).toBe(403);
    const wrong = await h.request('POST', '/console/t/org_c/connection/disconnect', { headers, rawBody: form({ _csrf: `${csrf.slice(0, -1)}x` }) });
    expect(wrong.status).toBe(403);
    const right = await h.request('POST', '/console/t/org_c/connection/disconnect', { headers, rawBody: form({ _csrf: csrf }) });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toContain('There%20was%20no%20connection');

    expect((await h.request('GET', '/console/t/org_a/documents', { headers: { cookie: cookie! } })).status).toBe(404);
    expect((await h.request('POST', '/console/t/org_a/connection/disconnect', { headers, rawBody: form({ _csrf: csrf }) })).status).toBe(404);
    // org_a's document, asked for under org_c: not found, as is a made-up id.
    const sent = await h.sendOps(invoiceEvent('org_a', 'inv_secret', { number: 'SECRET-1' }));
    expect(sent.status).toBe(202);
    const other = await h.request('GET', `/console/t/org_c/documents/${sent.body.document_id}`, { headers: { cookie: cookie! } });
    expect(other.status).toBe(404);
    expect(other.text).not.toContain('SECRET-1');
    expect((await h.request('GET', '/console/t/org_c/documents/not-a-uuid', { headers: { cookie: cookie! } })).status).toBe(404);
  });

  it('the documents page filters, searches, and shows a document with its history', async () => {
    for (const [id, number] of [['inv_f1', 'FIND-1'], ['inv_f2', 'OTHER-2']] as const) expect((await h.sendOps(invoiceEvent('org_d', id, { number })).then((r) => r.status))).toBe(202);
    const { cookie } = await open((await link('org_d')).url);
    const all = await h.request('GET', '/console/t/org_d/documents', { headers: { cookie: cookie! } });
    expect(all.text).toContain('FIND-1');
    expect(all.text).toContain('OTHER-2');
    const found = await h.request('GET', '/console/t/org_d/documents?q=find', { headers: { cookie: cookie! } });
    expect(found.text).toContain('FIND-1');
    expect(found.text).not.toContain('OTHER-2');
    const bad = await h.request('GET', '/console/t/org_d/documents?status=lost', { headers: { cookie: cookie! } });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('filters are not valid');
    const id = /href="\/console\/t\/org_d\/documents\/([0-9a-f-]{36})">FIND-1/.exec(found.text)?.[1];
    const detail = await h.request('GET', `/console/t/org_d/documents/${id}`, { headers: { cookie: cookie! } });
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('Every status change');
    expect(detail.text).toMatch(/data-document-status="(received|held)"/);
    const csv = await h.request('GET', '/console/t/org_d/exports/documents.csv?kind=sales_invoice', { headers: { cookie: cookie! } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.text.split('\n')[0]).toContain('InvoiceNumber');
    expect(csv.text).toContain('FIND-1');
    expect((await h.request('GET', '/console/t/org_d/exports/documents.csv?kind=payment', { headers: { cookie: cookie! } })).status).toBe(400);
  });

  it('the platform admin opens a tenant list and any tenant; a tenant token cannot ask for that link', async () => {
    const admin = await h.request('POST', '/v1/console-sessions', { token: await h.token('*') });
    expect(admin.status).toBe(201);
    expect(admin.body.tenant_id).toBeNull();
    const { res, cookie } = await open(admin.body.url);
    expect(res.headers.get('location')).toBe('/console');
    const list = await h.request('GET', '/console', { headers: { cookie: cookie! } });
    expect(list.text).toContain('<h1>Tenants</h1>');
    expect(list.text).toContain('href="/console/t/org_a/documents"');
    expect((await h.request('GET', '/console/t/org_a/documents', { headers: { cookie: cookie! } })).status).toBe(200);
    const refused = await h.request('POST', '/v1/console-sessions', { token: await h.token('org_a') });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('platform_admin_required');
  });

  it('signing out ends the session; the return page from the provider only goes to console pages', async () => {
    const { cookie } = await open((await link('org_e')).url);
    const page = await h.request('GET', '/console/t/org_e/documents', { headers: { cookie: cookie! } });
    const out = await h.request('POST', '/console/logout', { headers: { cookie: cookie!, 'content-type': 'application/x-www-form-urlencoded' }, rawBody: form({ _csrf: csrfOf(page.text)! }) });
    expect(out.status).toBe(200);
    expect((await h.request('GET', '/console/t/org_e/documents', { headers: { cookie: cookie! } })).status).toBe(401);
    const back = await h.request('GET', '/console/return?to=%2Fconsole%2Ft%2Forg_e%2Fconnection&status=connected');
    expect(back.status).toBe(200);
    expect(back.text).toContain('url=/console/t/org_e/connection?status=connected');
    expect((await h.request('GET', '/console/return?to=https%3A%2F%2Fevil.example%2F')).status).toBe(400);
  });
});
