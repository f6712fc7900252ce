import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createLedgerportClient,
  sendOpsWebhook,
  signOpsWebhook,
  verifyWebhook as clientVerifyWebhook,
  type DocumentDetail,
  type ErrorEnvelope,
  type LedgerportClient,
  type OpsWebhookEvent,
  type Schemas,
} from '../client/src/index.ts';
import { signWebhook, verifyWebhook } from '../src/security/standard-webhooks.ts';
import { OPS_SECRET, OPS_SECRET_NEXT, startHarness, type Harness } from './helpers/harness.ts';

// The published Standard Webhooks test vector (as in standard-webhooks.test.ts).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const bytes = (s: string | Uint8Array) => (typeof s === 'string' ? new TextEncoder().encode(s) : s);

describe('signOpsWebhook (Standard Webhooks, node:crypto only)', () => {
  it('signs the published vector exactly, and the gateway verifies it', () => {
    const signed = signOpsWebhook({ secret: VECTOR.secret, id: VECTOR.id, timestamp: VECTOR.timestamp, body: VECTOR.body });
    expect(signed.signature).toBe(VECTOR.signature);
    expect(signed.headers).toEqual({
      'content-type': 'application/json',
      'webhook-id': VECTOR.id,
      'webhook-timestamp': String(VECTOR.timestamp),
      'webhook-signature': VECTOR.signature,
    });
    const verdict = verifyWebhook({
      secrets: [VECTOR.secret],
      headers: { id: signed.id, timestamp: String(signed.timestamp), signature: signed.signature },
      body: bytes(signed.body),
      nowSeconds: VECTOR.timestamp + 10,
    });
    expect(verdict).toEqual({ ok: true });
  });

  it('agrees with the gateway for an event object, a Date timestamp and several secrets (rotation)', () => {
    const at = new Date('2026-11-21T10:00:00.750Z');
    const event = { type: 'sales_order.shipped', tenant_id: 'org_x', occurred_at: at.toISOString(), data: {} } as unknown as OpsWebhookEvent;
    const signed = signOpsWebhook({ secret: [OPS_SECRET_NEXT, OPS_SECRET], id: 'msg_rotate', timestamp: at, body: event });
    expect(signed.timestamp).toBe(Math.floor(at.getTime() / 1000));
    expect(signed.body).toBe(JSON.stringify(event));
    expect(signed.signature.split(' ')).toEqual([
      signWebhook(OPS_SECRET_NEXT, 'msg_rotate', signed.timestamp, signed.body),
      signWebhook(OPS_SECRET, 'msg_rotate', signed.timestamp, signed.body),
    ]);
    for (const secret of [OPS_SECRET, OPS_SECRET_NEXT]) {
      const headers = { id: signed.id, timestamp: String(signed.timestamp), signature: signed.signature };
      expect(verifyWebhook({ secrets: [secret], headers, body: bytes(signed.body), nowSeconds: signed.timestamp })).toEqual({ ok: true });
    }
    expect(signOpsWebhook({ secret: OPS_SECRET, body: '{}' }).id).toMatch(/^msg_[0-9a-f-]{36}$/);
  });

  it('verifyWebhook checks what the gateway signs (its outbound webhooks)', () => {
    const body = '{"type":"document.synced"}';
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(VECTOR.timestamp), 'webhook-signature': signWebhook(OPS_SECRET, 'evt_1', VECTOR.timestamp, body) };
    expect(clientVerifyWebhook({ secret: OPS_SECRET, headers, body, now: VECTOR.timestamp + 60 })).toEqual({ ok: true });
    expect(clientVerifyWebhook({ secret: OPS_SECRET, headers: new Headers(headers), body: bytes(body), now: VECTOR.timestamp })).toEqual({ ok: true });
    expect(clientVerifyWebhook({ secret: OPS_SECRET_NEXT, headers, body, now: VECTOR.timestamp })).toMatchObject({ ok: false, code: 'invalid_webhook_signature' });
    expect(clientVerifyWebhook({ secret: OPS_SECRET, headers, body: `${body} `, now: VECTOR.timestamp })).toMatchObject({ ok: false, code: 'invalid_webhook_signature' });
    expect(clientVerifyWebhook({ secret: OPS_SECRET, headers, body, now: VECTOR.timestamp + 301 })).toMatchObject({ ok: false, code: 'stale_webhook_timestamp' });
    expect(clientVerifyWebhook({ secret: OPS_SECRET, headers: {}, body, now: VECTOR.timestamp })).toMatchObject({ ok: false, code: 'missing_webhook_headers' });
  });

  it('refuses an empty secret', () => {
    expect(() => signOpsWebhook({ secret: 'whsec_', body: '{}' })).toThrow(/secret is empty/);
  });
});

describe('the typed client against a running gateway', () => {
  const tenant = 'org_client';
  let h: Harness;
  let server: { url: string; close: () => Promise<void> };
  let ledgerport: LedgerportClient;
  let documentId: string;
  let webhookId: string;
  const sent: Request[] = [];

  const invoice: OpsWebhookEvent = {
    type: 'sales_order.shipped',
    tenant_id: tenant,
    occurred_at: '2026-11-21T10:00:00Z',
    data: {
      invoice: {
        id: 'inv_client_1',
        version: 1,
        number: 'INV-7001',
        reference: 'SO-7001',
        issue_date: '2026-11-21',
        due_date: '2026-12-21',
        currency: 'GBP',
        amounts_are: 'exclusive',
        customer: { id: 'cus_7', name: 'Typed Ltd', email: 'ap@typed.test' },
        lines: [{ description: 'Widget', quantity: '3', unit_price: '12.50', tax_rate: '20', category: 'sales' }],
      },
    },
  };

  beforeAll(async () => {
    h = await startHarness();
    server = await h.listen();
    ledgerport = createLedgerportClient({
      baseUrl: server.url,
      token: () => h.token(tenant),
      fetch: (request: Request) => {
        sent.push(request.clone());
        return fetch(request);
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await h?.close();
  });

  it('sends a signed ops webhook for an invoice: 202 with the document id', async () => {
    const result = await sendOpsWebhook({ baseUrl: server.url, secret: OPS_SECRET, body: invoice });
    expect(result.response.status).toBe(202);
    expect(result.error).toBeUndefined();
    const data = result.data;
    if (!data || !('status' in data)) throw new Error(`expected 202 accepted, got ${JSON.stringify(data)}`);
    expectTypeOf(data.status).toEqualTypeOf<Schemas['DocumentStatus']>();
    expect(data.status).toBe('received');
    expect(data.document_id).toMatch(/^[0-9a-f-]{36}$/);
    documentId = data.document_id;
    webhookId = result.webhook.id;

    // Redelivering the same webhook-id is a duplicate that changes nothing.
    const again = await sendOpsWebhook({ baseUrl: server.url, secret: OPS_SECRET, id: webhookId, body: invoice });
    expect(again.response.status).toBe(200);
    expect(again.data).toEqual({ duplicate: true, document_id: documentId });
    await h.runJobs();
  });

  it('lists the documents with the typed client and sees it', async () => {
    const { data, error, response } = await ledgerport.GET('/v1/tenants/{tenant_id}/documents', {
      params: { path: { tenant_id: tenant }, query: { kind: 'sales_invoice', limit: 10 } },
    });
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    expectTypeOf(data).toEqualTypeOf<Schemas['DocumentPage'] | undefined>();
    expect(data?.next_cursor).toBeNull();
    expect(data?.data.map((d) => [d.id, d.kind, d.source_id, d.source_version])).toEqual([[documentId, 'sales_invoice', 'inv_client_1', 1]]);
    // No connection yet: routed and held.
    expect(data?.data[0]?.status).toBe('held');
    const request = sent.at(-1);
    expect(request?.headers.get('authorization')).toMatch(/^Bearer ey/);
    expect(new URL(request?.url ?? '').search).toBe('?kind=sales_invoice&limit=10');
  });

  it('gets one document with its snapshot and history', async () => {
    const { data, error } = await ledgerport.GET('/v1/tenants/{tenant_id}/documents/{document_id}', {
      params: { path: { tenant_id: tenant, document_id: documentId } },
    });
    expect(error).toBeUndefined();
    expectTypeOf(data).toEqualTypeOf<DocumentDetail | undefined>();
    expect(data?.id).toBe(documentId);
    expect(data?.source).toMatchObject({ id: 'inv_client_1', number: 'INV-7001', customer: { name: 'Typed Ltd' } });
    expect(data?.history.map((entry) => entry.to_status)).toEqual(['received', 'held']);
    expect(data?.attempts).toEqual([]);
  });

  it('answers an unknown document with the typed error envelope', async () => {
    const { data, error, response } = await ledgerport.GET('/v1/tenants/{tenant_id}/documents/{document_id}', {
      params: { path: { tenant_id: tenant, document_id: randomUUID() } },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    // The union of this operation's documented error bodies (401, 404, 500), each an ErrorEnvelope.
    expectTypeOf(error).toExtend<ErrorEnvelope | undefined>();
    expectTypeOf<'not_found' | 'tenant_not_found' | 'invalid_token'>().toExtend<NonNullable<typeof error>['error']['code']>();
    // @ts-expect-error: the codes are typed; this one is documented for no response of this operation.
    expect(error?.error.code === 'invalid_cursor').toBe(false);
    expect(error?.error).toEqual({ code: 'not_found', message: expect.any(String), request_id: response.headers.get('x-request-id') });
  });

  it('answers a bad query with validation_failed and its details', async () => {
    const { error, response } = await ledgerport.GET('/v1/tenants/{tenant_id}/documents', {
      params: { path: { tenant_id: tenant }, query: { status: 'lost' as Schemas['DocumentStatus'] } },
    });
    expect(response.status).toBe(400);
    if (error?.error.code !== 'validation_failed') throw new Error(`expected validation_failed, got ${JSON.stringify(error)}`);
    // Narrowed by its code: `details` is the list of issues.
    expectTypeOf(error.error.details).toEqualTypeOf<Schemas['ValidationIssue'][]>();
    expect(error.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining('status') })]));
  });

  it('answers another token with 401 and a webhook signed with another secret with 401', async () => {
    const stranger = createLedgerportClient({ baseUrl: server.url, token: 'not.a.jwt' });
    const denied = await stranger.GET('/v1/tenants/{tenant_id}/documents', { params: { path: { tenant_id: tenant } } });
    expect(denied.response.status).toBe(401);
    expect(denied.error?.error.code).toBe('invalid_token');

    const forged = await sendOpsWebhook({ baseUrl: server.url, secret: 'whsec_dGhpcy1pcy1ub3QtdGhlLWdhdGV3YXlzLXNlY3JldA==', body: invoice });
    expect(forged.response.status).toBe(401);
    expect(forged.error?.error.code).toBe('invalid_webhook_signature');
    expect(forged.error?.error.request_id).toBe(forged.response.headers.get('x-request-id'));
  });

  it('sends no bearer token outside /v1', async () => {
    const { data } = await ledgerport.GET('/healthz');
    expect(data).toBeDefined();
    expect(sent.at(-1)?.headers.has('authorization')).toBe(false);
  });
});
