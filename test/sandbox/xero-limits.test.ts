import { afterEach, describe, expect, it } from 'vitest';
import { startXeroSandbox } from '../../src/sandbox/xero/index.ts';
import type { XeroSandbox, XeroSandboxOptions } from '../../src/sandbox/xero/index.ts';
import { client, invoice } from '../../src/sandbox/xero/testing.ts';

const open: XeroSandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((sb) => sb.close()));
});

async function connected(opts: XeroSandboxOptions = {}) {
  const sb = await startXeroSandbox(opts);
  open.push(sb);
  const org = sb.addOrganisation({ name: 'Limits Ltd', region: 'UK' });
  const tokens = await sb.grantTokens();
  return { sb, org, api: client(sb, tokens.access_token, org.OrganisationID) };
}

describe('xero sandbox: rate limits', () => {
  it('returns 429 on the 61st call in a minute, with Xero headers, and recovers', async () => {
    let real = Date.UTC(2024, 0, 1);
    const { sb, org, api } = await connected({ clock: () => real });
    for (let i = 1; i <= 60; i++) {
      const r = await api('GET', '/Organisation');
      expect(r.status).toBe(200);
      expect(r.headers.get('x-minlimit-remaining')).toBe(String(60 - i));
      expect(r.headers.get('x-daylimit-remaining')).toBe(String(5000 - i));
      expect(r.headers.get('x-appminlimit-remaining')).toBe(String(10000 - i));
    }
    const limited = await api('GET', '/Organisation');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-rate-limit-problem')).toBe('minute');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(sb.stats(org.OrganisationID)).toMatchObject({ calls: 61, rateLimited: 1, byProblem: { minute: 1 } });
    real += 60_001;
    expect((await api('GET', '/Organisation')).status).toBe(200);
  });

  it('allows 5 concurrent calls per tenant; the 6th gets 429 concurrent', async () => {
    const { sb, api } = await connected();
    sb.delayNext(6, 300);
    const results = await Promise.all(Array.from({ length: 6 }, () => api('GET', '/Organisation')));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(results.find((r) => r.status === 429)?.headers.get('x-rate-limit-problem')).toBe('concurrent');
    expect((await api('GET', '/Organisation')).status).toBe(200);
  });

  it('enforces the daily limit and forced 429s', async () => {
    const { sb, api } = await connected({ limits: { perDay: 3 } });
    sb.force429(1, { problem: 'appminute', retryAfterSeconds: 7 });
    const forced = await api('GET', '/Organisation');
    expect([forced.status, forced.headers.get('retry-after'), forced.headers.get('x-rate-limit-problem')]).toEqual([429, '7', 'appminute']);
    for (let i = 0; i < 3; i++) expect((await api('GET', '/Organisation')).status).toBe(200);
    const day = await api('GET', '/Organisation');
    expect([day.status, day.headers.get('x-rate-limit-problem')]).toEqual([429, 'day']);
  });
});

describe('xero sandbox: idempotency and faults', () => {
  it('replays the first response for a repeated Idempotency-Key without writing again', async () => {
    const { sb, org, api } = await connected();
    const first = await api('PUT', '/Invoices', { Invoices: [invoice()] }, { 'Idempotency-Key': 'key-1' });
    const second = await api('PUT', '/Invoices', { Invoices: [invoice()] }, { 'Idempotency-Key': 'key-1' });
    expect(second.status).toBe(first.status);
    expect(second.body).toEqual(first.body);
    expect(sb.invoices(org.OrganisationID)).toHaveLength(1);
    // A rejected write is replayed too.
    const bad = { Invoices: [invoice({ InvoiceNumber: first.body.Invoices[0].InvoiceNumber })] };
    const r1 = await api('PUT', '/Invoices', bad, { 'Idempotency-Key': 'key-2' });
    const r2 = await api('PUT', '/Invoices', bad, { 'Idempotency-Key': 'key-2' });
    expect([r1.status, r2.status]).toEqual([400, 400]);
    expect(r2.body).toEqual(r1.body);
    await api('PUT', '/Invoices', { Invoices: [invoice()] }, { 'Idempotency-Key': 'key-3' });
    expect(sb.invoices(org.OrganisationID)).toHaveLength(2);
  });

  it('fails, delays and drops on demand', async () => {
    const { sb, org, api } = await connected();
    sb.failNext(2, { status: 503, path: /\/Invoices/ });
    expect((await api('GET', '/Organisation')).status).toBe(200);
    expect((await api('GET', '/Invoices')).status).toBe(503);
    expect((await api('PUT', '/Invoices', { Invoices: [invoice()] })).status).toBe(503);
    expect(sb.invoices(org.OrganisationID)).toHaveLength(0);
    expect((await api('GET', '/Invoices')).status).toBe(200);

    sb.delayNext(1, 150);
    const t0 = performance.now();
    await api('GET', '/Organisation');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);

    sb.dropAfterWrite(1);
    await expect(api('PUT', '/Invoices', { Invoices: [invoice()] }, { 'Idempotency-Key': 'drop-1' })).rejects.toThrow();
    expect(sb.invoices(org.OrganisationID)).toHaveLength(1);
    expect(sb.requests.at(-1)).toMatchObject({ method: 'PUT', path: '/api.xro/2.0/Invoices', dropped: true, status: 200 });
    const retry = await api('PUT', '/Invoices', { Invoices: [invoice()] }, { 'Idempotency-Key': 'drop-1' });
    expect(retry.status).toBe(200);
    expect(sb.invoices(org.OrganisationID)).toHaveLength(1);

    sb.failNext(1, { status: 502, path: /connect\/token/ });
    const tok = await fetch(`${sb.identityUrl}/connect/token`, { method: 'POST' });
    expect(tok.status).toBe(502);
  });

  it('logs requests with redacted authorization and tenant id', async () => {
    const { sb, org, api } = await connected();
    await api('PUT', '/Contacts', { Contacts: [{ Name: 'Logged' }] });
    const entry = sb.requests.at(-1);
    expect(entry).toMatchObject({ method: 'PUT', path: '/api.xro/2.0/Contacts', status: 200, tenantId: org.OrganisationID, body: { Contacts: [{ Name: 'Logged' }] } });
    expect(entry?.headers.authorization).toBe('Bearer [redacted]');
    expect(entry?.headers['xero-tenant-id']).toBe(org.OrganisationID);
    sb.reset();
    expect(sb.requests).toHaveLength(0);
    expect(sb.contacts(org.OrganisationID)).toHaveLength(0);
  });
});
