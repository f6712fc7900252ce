import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startQuickBooksSandbox } from '../../src/sandbox/quickbooks/index.ts';
import type { QuickBooksSandbox, QuickBooksSandboxOptions } from '../../src/sandbox/quickbooks/index.ts';
import { client, invoice } from '../../src/sandbox/quickbooks/testing.ts';

const open: QuickBooksSandbox[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((sb) => sb.close()));
  await Promise.all(cleanups.splice(0).map((f) => f()));
});

async function connected(opts: QuickBooksSandboxOptions = {}) {
  const sb = await startQuickBooksSandbox(opts);
  open.push(sb);
  const co = sb.addCompany({ name: 'Limits Inc' });
  const tokens = await sb.grantTokens();
  sb.addCustomers(co.realmId, [{ DisplayName: 'Acme Ltd' }]);
  return { sb, realmId: co.realmId, api: client(sb, tokens.access_token, co.realmId) };
}

const THROTTLED = {
  Fault: {
    Error: [{ Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429', Detail: 'The request limit was reached.', code: '3001' }],
    type: 'SERVICE',
  },
};

describe('quickbooks sandbox: throttling', () => {
  it('answers 429 to the 501st request in a minute and recovers when the window moves', async () => {
    let real = Date.UTC(2026, 2, 1);
    const { sb, realmId, api } = await connected({ clock: () => real });
    for (let i = 0; i < 500; i++) expect((await api('GET', '/item/1')).status).toBe(200);
    const limited = await api('GET', '/item/1');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject(THROTTLED);
    expect(sb.stats(realmId)).toMatchObject({ calls: 501, throttled: 1 });
    real += 60_001;
    expect((await api('GET', '/item/1')).status).toBe(200);
  });

  it('allows 10 concurrent requests per realm; the 11th gets 429', async () => {
    const { sb, api } = await connected();
    sb.delayNext(11, 300);
    const results = await Promise.all(Array.from({ length: 11 }, () => api('GET', '/item/1')));
    expect(results.map((r) => r.status).sort()).toEqual([...Array(10).fill(200), 429]);
    expect(results.find((r) => r.status === 429)?.body).toMatchObject(THROTTLED);
    expect((await api('GET', '/item/1')).status).toBe(200);
  });

  it('forces 429s on matching paths', async () => {
    const { sb, api } = await connected();
    sb.force429(1, { path: /\/invoice$/ });
    expect((await api('GET', '/item/1')).status).toBe(200);
    expect((await api('POST', '/invoice', invoice('1'))).status).toBe(429);
    expect((await api('POST', '/invoice', invoice('1'))).status).toBe(200);
  });
});

describe('quickbooks sandbox: requestid and faults', () => {
  it('replays the first response for a repeated requestid without writing again', async () => {
    const { sb, realmId, api } = await connected();
    const first = await api('POST', '/invoice', invoice('1'), { requestid: 'doc-1-v1' });
    const second = await api('POST', '/invoice', invoice('1'), { requestid: 'doc-1-v1' });
    expect(second.body).toEqual(first.body);
    expect(sb.invoices(realmId)).toHaveLength(1);
    expect(sb.requests.at(-1)?.replayed).toBe(true);
    // Rejections replay too; batches honour requestid as well.
    const dup = invoice('1', { DocNumber: first.body.Invoice.DocNumber });
    const r1 = await api('POST', '/invoice', dup, { requestid: 'doc-2-v1' });
    const r2 = await api('POST', '/invoice', dup, { requestid: 'doc-2-v1' });
    expect([r1.status, r2.status, r2.body]).toEqual([400, 400, r1.body]);
    const batch = { BatchItemRequest: [{ bId: '1', operation: 'create', Invoice: invoice('1') }] };
    const b1 = await api('POST', '/batch', batch, { requestid: 'batch-1' });
    const b2 = await api('POST', '/batch', batch, { requestid: 'batch-1' });
    expect(b2.body).toEqual(b1.body);
    expect(sb.invoices(realmId)).toHaveLength(2);
    const long = await api('POST', '/invoice', invoice('1'), { requestid: 'x'.repeat(51) });
    expect(long.status).toBe(400);
    expect(sb.invoices(realmId)).toHaveLength(2);
  });

  it('fails, delays and drops on demand', async () => {
    const { sb, realmId, api } = await connected();
    sb.failNext(2, { status: 503, path: /\/invoice$/ });
    sb.failNext(1, { path: /\/query$/, query: { query: /from Customer/ } });
    const failed = await api('POST', '/invoice', invoice('1'));
    expect([failed.status, failed.body.Fault.type]).toEqual([503, 'SystemFault']);
    expect((await api('POST', '/invoice', invoice('1'))).status).toBe(503);
    expect((await api('GET', '/query', undefined, { query: 'select * from Item' })).status).toBe(200);
    expect((await api('GET', '/query', undefined, { query: 'select * from Customer' })).status).toBe(500);
    expect(sb.invoices(realmId)).toHaveLength(0);

    sb.delayNext(1, 150);
    const t0 = performance.now();
    await api('GET', '/item/1');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);

    // A dropped write is applied but never answered; retrying with its requestid gets the stored answer.
    sb.dropAfterWrite(1, { path: /\/invoice$/ });
    await expect(api('POST', '/invoice', invoice('1'), { requestid: 'doc-9' })).rejects.toThrow();
    expect(sb.invoices(realmId)).toHaveLength(1);
    const retry = await api('POST', '/invoice', invoice('1'), { requestid: 'doc-9' });
    expect(retry.body.Invoice.Id).toBe(sb.invoices(realmId)[0]?.Id);
    expect(sb.invoices(realmId)).toHaveLength(1);
    expect(sb.requests.filter((r) => r.dropped)).toHaveLength(1);

    sb.reset();
    expect([sb.requests.length, sb.invoices(realmId).length, sb.customers(realmId).length]).toEqual([0, 0, 0]);
  });
});

async function receiver(token: string) {
  const received: { raw: Buffer; headers: Record<string, string | string[] | undefined>; verified: boolean }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const verified = createHmac('sha256', token).update(raw).digest('base64') === req.headers['intuit-signature'];
      received.push({ raw, headers: req.headers, verified });
      res.writeHead(verified ? 200 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/quickbooks`, received };
}

describe('quickbooks sandbox: webhooks', () => {
  it('sends signed legacy and CloudEvents deliveries', async () => {
    const sb = await startQuickBooksSandbox({ webhookVerifierToken: 'verifier-123', clock: () => Date.UTC(2026, 2, 1, 10) });
    open.push(sb);
    const target = await receiver('verifier-123');
    const events = [
      { realmId: '111', name: 'Customer', id: '1', operation: 'Update' as const },
      { realmId: '111', name: 'Vendor', id: '7', operation: 'Create' as const },
      { realmId: '222', name: 'PurchaseOrder', id: '9', operation: 'Delete' as const },
    ];
    const legacy = await sb.sendWebhook(target.url, events);
    expect(legacy.status).toBe(200);
    expect(JSON.parse(legacy.payload)).toEqual({ eventNotifications: [
      { realmId: '111', dataChangeEvent: { entities: [
        { name: 'Customer', id: '1', operation: 'Update', lastUpdated: '2026-03-01T10:00:00.000Z' },
        { name: 'Vendor', id: '7', operation: 'Create', lastUpdated: '2026-03-01T10:00:00.000Z' },
      ] } },
      { realmId: '222', dataChangeEvent: { entities: [{ name: 'PurchaseOrder', id: '9', operation: 'Delete', lastUpdated: '2026-03-01T10:00:00.000Z' }] } },
    ] });
    const cloud = await sb.sendWebhook(target.url, events, { format: 'cloudevents' });
    expect(cloud.status).toBe(200);
    const ce = JSON.parse(cloud.payload);
    expect(ce).toHaveLength(3);
    expect(ce[0]).toMatchObject({ specversion: '1.0', type: 'qbo.customer.updated.v1', datacontenttype: 'application/json',
      intuitentityid: '1', intuitaccountid: '111', time: '2026-03-01T10:00:00.000Z', data: {} });
    expect(ce[2]).toMatchObject({ type: 'qbo.purchaseorder.deleted.v1', intuitaccountid: '222' });
    expect(ce[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(target.received.map((r) => r.verified)).toEqual([true, true]);
    expect(target.received[0]?.headers['intuit-signature']).toBe(createHmac('sha256', 'verifier-123').update(legacy.payload).digest('base64'));

    const tampered = await sb.sendWebhook(target.url, events, { tamper: true });
    const otherKey = await sb.sendWebhook(target.url, events, { format: 'cloudevents', verifierToken: 'other' });
    expect([tampered.status, otherKey.status]).toEqual([401, 401]);
    expect(() => JSON.parse(tampered.payload)).not.toThrow();
  });
});
