import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_SPEC_PATH } from '../../src/sandbox/xero/contract.ts';
import { startXeroSandbox } from '../../src/sandbox/xero/index.ts';
import type { XeroSandbox } from '../../src/sandbox/xero/index.ts';

interface Received { headers: IncomingMessage['headers']; raw: Buffer; verified: boolean }
type Handler = (req: IncomingMessage, res: ServerResponse, verified: boolean) => void | Promise<void>;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

const KEY = 'test-webhook-key/abc+123==';

async function sandbox(): Promise<XeroSandbox> {
  const sb = await startXeroSandbox({ webhookKey: KEY });
  closers.push(() => sb.close());
  return sb;
}

/** A receiver that verifies x-xero-signature over the raw body bytes, as Xero's docs prescribe. */
async function receiver(key: string, handler?: Handler): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = createHmac('sha256', key).update(raw).digest();
      const given = Buffer.from(String(req.headers['x-xero-signature'] ?? ''), 'base64');
      const verified = given.length === expected.length && timingSafeEqual(given, expected);
      received.push({ headers: req.headers, raw, verified });
      if (handler) void handler(req, res, verified);
      else res.writeHead(verified ? 200 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  closers.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/xero`, received };
}

async function webhookSchema(): Promise<(data: unknown) => boolean> {
  const spec = parse(await readFile(DEFAULT_SPEC_PATH.replace('xero_accounting.yaml', 'xero-webhooks.yaml'), 'utf8'));
  const [{ default: ajvMod }, { default: formatsMod }] = await Promise.all([import('ajv'), import('ajv-formats')]);
  const ajv = new ajvMod.default({ strict: false, allErrors: true });
  formatsMod.default(ajv, ['uri', 'uuid']);
  // Xero's own examples send eventDateUtc without a zone (2024-06-21T01:15:39.902).
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/);
  ajv.addSchema({ $id: 'webhooks.json', components: spec.components });
  const validate = ajv.getSchema('webhooks.json#/components/schemas/WebhookEvent');
  if (!validate) throw new Error('WebhookEvent schema missing');
  return (data) => validate(data) as boolean;
}

describe('xero sandbox: webhooks', () => {
  it('signs deliveries with HMAC-SHA256 over the raw body and shapes events as Xero does', async () => {
    const sb = await sandbox();
    expect(sb.webhookKey).toBe(KEY);
    const org = sb.addOrganisation({ name: 'Demo UK', region: 'UK' });
    const target = await receiver(KEY);
    const contactId = crypto.randomUUID();
    const invoiceId = crypto.randomUUID();
    const r = await sb.sendWebhook(target.url, [
      { tenantId: org.OrganisationID, eventCategory: 'CONTACT', eventType: 'UPDATE', resourceId: contactId },
      { tenantId: org.OrganisationID, eventCategory: 'INVOICE', eventType: 'CREATE', resourceId: invoiceId },
    ]);
    expect(r).toMatchObject({ status: 200, body: '', timedOut: false });
    expect(r.ms).toBeGreaterThanOrEqual(0);
    const [got] = target.received;
    expect(got?.verified).toBe(true);
    expect(got?.headers['content-type']).toMatch(/^application\/json/);
    expect(got?.raw.toString('utf8')).toBe(r.payload);
    expect(createHmac('sha256', KEY).update(got?.raw ?? '').digest('base64')).toBe(got?.headers['x-xero-signature']);

    const body = JSON.parse(r.payload);
    expect(Object.keys(body)).toEqual(['events', 'firstEventSequence', 'lastEventSequence', 'entropy']);
    expect(body).toMatchObject({ firstEventSequence: 1, lastEventSequence: 2 });
    expect(body.entropy).toMatch(/^[A-Z]{20}$/);
    expect(body.events[0]).toEqual({
      resourceUrl: `${sb.apiUrl}/api.xro/2.0/Contacts/${contactId}`, resourceId: contactId,
      eventDateUtc: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/),
      eventType: 'UPDATE', eventCategory: 'CONTACT', tenantId: org.OrganisationID, tenantType: 'ORGANISATION',
    });
    expect(body.events[1].resourceUrl).toBe(`${sb.apiUrl}/api.xro/2.0/Invoices/${invoiceId}`);
    const valid = await webhookSchema();
    expect(valid(body)).toBe(true);
    expect(valid({ events: body.events })).toBe(false);
    expect(valid({ ...body, events: [{ ...body.events[0], tenantType: 'TENANT' }] })).toBe(false);

    // The resourceUrl is served by the sandbox itself (a GET on it needs the usual bearer token).
    expect((await fetch(body.events[0].resourceUrl)).status).toBe(401);

    const next = await sb.sendWebhook(target.url, [{ tenantId: org.OrganisationID, eventCategory: 'CREDITNOTE', eventType: 'CREATE', resourceId: crypto.randomUUID() }]);
    const nextBody = JSON.parse(next.payload);
    expect(nextBody).toMatchObject({ firstEventSequence: 3, lastEventSequence: 3 });
    expect(nextBody.events[0].data).toEqual({ Type: 'ACCRECCREDIT', Status: 'AUTHORISED' });
    expect(valid(nextBody)).toBe(true);
  });

  it('tampered bodies and other keys fail verification', async () => {
    const sb = await sandbox();
    const org = sb.addOrganisation({ name: 'Demo UK', region: 'UK' });
    const target = await receiver(KEY);
    const event = { tenantId: org.OrganisationID, eventCategory: 'CONTACT' as const, eventType: 'CREATE' as const, resourceId: crypto.randomUUID() };
    const tampered = await sb.sendWebhook(target.url, [event], { tamper: true });
    const otherKey = await sb.sendWebhook(target.url, [event], { key: 'some-other-key' });
    expect([tampered.status, otherKey.status]).toEqual([401, 401]);
    expect(target.received.map((x) => x.verified)).toEqual([false, false]);
    // Still well-formed JSON: only the signature check can tell.
    expect(JSON.parse(tampered.payload).entropy).toMatch(/^!/);
  });

  it('sends the intent-to-receive probe and judges the answer by Xero\'s rules', async () => {
    const sb = await sandbox();
    const good = await receiver(KEY);
    const v = await sb.sendIntentToReceive(good.url, { valid: true });
    const i = await sb.sendIntentToReceive(good.url, { valid: false });
    expect([v.ok, v.status, v.expected, i.ok, i.status, i.expected]).toEqual([true, 200, 200, true, 401, 401]);
    expect(v.problems).toEqual([]);
    const probe = JSON.parse(v.payload);
    expect(probe).toEqual({ events: [], firstEventSequence: 0, lastEventSequence: 0, entropy: expect.stringMatching(/^[A-Z]{20}$/) });
    expect(good.received.map((x) => x.verified)).toEqual([true, false]);

    // A receiver that never checks the signature passes the valid probe but fails the invalid one.
    const lax = await receiver(KEY, (_req, res) => { res.writeHead(200).end(); });
    expect((await sb.sendIntentToReceive(lax.url, { valid: true })).ok).toBe(true);
    const laxInvalid = await sb.sendIntentToReceive(lax.url, { valid: false });
    expect(laxInvalid).toMatchObject({ ok: false, status: 200, problems: ['answered 200, expected 401'] });

    // Bodies and cookies are not allowed; nor is a slow answer.
    const chatty = await receiver(KEY, (_req, res, ok) => {
      res.writeHead(ok ? 200 : 401, { 'set-cookie': 'sid=1', 'content-type': 'application/json' }).end('{"ok":true}');
    });
    expect((await sb.sendIntentToReceive(chatty.url, { valid: true })).problems).toEqual(['response has a body', 'response sets cookies']);
    const slow = await receiver(KEY, async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (!res.destroyed) res.writeHead(200).end();
    });
    const late = await sb.sendIntentToReceive(slow.url, { valid: true, timeoutMs: 100 });
    expect(late).toMatchObject({ ok: false, status: 0, timedOut: true });
    expect(late.problems[0]).toMatch(/no answer within/);
  });
});
