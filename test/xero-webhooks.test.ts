import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { XeroSandbox } from '../src/sandbox/xero/index.ts';
import type { Harness } from './helpers/harness.ts';
import { connectXero, startXeroHarness } from './helpers/xero.ts';

const WEBHOOK_KEY = 'sandbox-webhook-key-for-tests-0123456789';

let h: Harness;
let sb: XeroSandbox;
let close: () => Promise<void>;
let server: { url: string; close: () => Promise<void> };
beforeAll(async () => {
  ({ h, sb, close } = await startXeroHarness({ env: { XERO_WEBHOOK_KEY: WEBHOOK_KEY }, sandbox: { webhookKey: WEBHOOK_KEY } }));
  server = await h.listen();
});
afterAll(async () => {
  await server.close();
  await close();
});

const target = () => `${server.url}/webhooks/xero`;
const inbound = (source: 'ops' | 'xero' | 'quickbooks') => h.database.db.selectFrom('inbound_events').selectAll().where('source', '=', source).orderBy('id').execute();

describe('POST /webhooks/xero', () => {
  it('answers the intent-to-receive probe exactly as Xero requires', async () => {
    const valid = await sb.sendIntentToReceive(target(), { valid: true });
    expect(valid).toMatchObject({ status: 200, ok: true, problems: [] });
    const invalid = await sb.sendIntentToReceive(target(), { valid: false });
    expect(invalid).toMatchObject({ status: 401, ok: true, problems: [] });
  });

  it('a CONTACT event refreshes that one contact from Xero, as a webhook sync run', async () => {
    const { org, token } = await connectXero(h, sb, 'org_wh', 'Webhook Ltd');
    const [contact] = sb.addContacts(org.OrganisationID, [{ Name: 'Changed Co', EmailAddress: 'a@changed.test', IsCustomer: true }]) as { ContactID: string }[];
    const res = await sb.sendWebhook(target(), [{ tenantId: org.OrganisationID, eventCategory: 'CONTACT', eventType: 'UPDATE', resourceId: contact!.ContactID }]);
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(5_000);
    await h.runJobs();
    const contacts = await h.request('GET', '/v1/tenants/org_wh/contacts', { token });
    expect(contacts.body.data).toEqual([expect.objectContaining({ provider_contact_id: contact!.ContactID, name: 'Changed Co', email: 'a@changed.test' })]);
    const runs = await h.request('GET', '/v1/tenants/org_wh/sync-runs?kind=contact_refresh', { token });
    expect(runs.body.data).toEqual([expect.objectContaining({ trigger: 'webhook', status: 'succeeded', counts: expect.objectContaining({ succeeded: 1 }) })]);
    const lookups = sb.requests.filter((r) => r.path.endsWith(`/Contacts/${contact!.ContactID}`));
    expect(lookups).toHaveLength(1);
  });

  it('deduplicates events Xero sends twice', async () => {
    const { org } = await connectXero(h, sb, 'org_wh_dup', 'Dup Ltd');
    const [contact] = sb.addContacts(org.OrganisationID, [{ Name: 'Dup Co' }]) as { ContactID: string }[];
    const event = { tenantId: org.OrganisationID, eventCategory: 'CONTACT' as const, eventType: 'UPDATE' as const, resourceId: contact!.ContactID, eventDateUtc: '2026-11-21T10:00:00.000' };
    await sb.sendWebhook(target(), [event]);
    await sb.sendWebhook(target(), [event]);
    const recorded = (await inbound('xero')).filter((e) => (e.payload as { resourceId: string }).resourceId === contact!.ContactID);
    expect(recorded).toHaveLength(1);
  });

  it('records INVOICE events for invoices Ledgerport did not push, and CREDITNOTE events, without reading anything', async () => {
    const { org } = await connectXero(h, sb, 'org_wh_inv', 'Invoice Events Ltd');
    await sb.sendWebhook(target(), [
      { tenantId: org.OrganisationID, eventCategory: 'INVOICE', eventType: 'UPDATE', resourceId: 'f2a4b3c1-0000-4000-8000-000000000001' },
      { tenantId: org.OrganisationID, eventCategory: 'CREDITNOTE', eventType: 'CREATE', resourceId: 'f2a4b3c1-0000-4000-8000-000000000002' },
    ]);
    const rows = (await inbound('xero')).filter((e) => e.tenant_id === 'org_wh_inv');
    expect(rows.map((r) => [r.event_type, r.outcome, r.outcome_reason])).toEqual([
      ['INVOICE.UPDATE', 'accepted', 'recorded'],
      ['CREDITNOTE.CREATE', 'accepted', 'recorded'],
    ]);
    expect(await h.database.db.selectFrom('invoice_refreshes').selectAll().execute()).toEqual([]);
  });

  it('acknowledges and logs events for an organisation no tenant is connected to', async () => {
    const res = await sb.sendWebhook(target(), [{ tenantId: '0d1e2f3a-0000-4000-8000-00000000dead', eventCategory: 'CONTACT', eventType: 'CREATE', resourceId: '0d1e2f3a-0000-4000-8000-000000000003' }]);
    expect(res.status).toBe(200);
    const row = (await inbound('xero')).find((e) => (e.payload as { tenantId: string }).tenantId === '0d1e2f3a-0000-4000-8000-00000000dead');
    expect(row).toMatchObject({ outcome: 'ignored', outcome_reason: 'unknown_organisation', tenant_id: null });
    expect(h.logs.lines.some((l) => String(l.msg).includes('no tenant is connected'))).toBe(true);
  });

  it('a CONTACT event with a bad signature changes nothing', async () => {
    const { org, token } = await connectXero(h, sb, 'org_wh_bad', 'Bad Sig Ltd');
    const [contact] = sb.addContacts(org.OrganisationID, [{ Name: 'Untouched Co' }]) as { ContactID: string }[];
    const before = (await inbound('xero')).length;
    const tampered = await sb.sendWebhook(target(), [{ tenantId: org.OrganisationID, eventCategory: 'CONTACT', eventType: 'UPDATE', resourceId: contact!.ContactID }], { tamper: true });
    expect(tampered.status).toBe(401);
    expect(tampered.body).toBe('');
    const wrongKey = await sb.sendWebhook(target(), [{ tenantId: org.OrganisationID, eventCategory: 'CONTACT', eventType: 'UPDATE', resourceId: contact!.ContactID }], { key: 'another-key' });
    expect(wrongKey.status).toBe(401);
    await h.runJobs();
    expect((await inbound('xero')).length).toBe(before);
    expect((await h.request('GET', '/v1/tenants/org_wh_bad/contacts', { token })).body.data).toEqual([]);
  });

  it('400 for a correctly signed body that is not a Xero payload', async () => {
    const body = '{"hello": "world"}';
    const signature = createHmac('sha256', WEBHOOK_KEY).update(body).digest('base64');
    const res = await h.request('POST', '/webhooks/xero', { rawBody: body, headers: { 'x-xero-signature': signature, 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});

describe('POST /webhooks/xero: bad bytes', () => {
  it('400 invalid_characters for a correctly signed body with a NUL, recording nothing', async () => {
    const body = '{"events":[{"resourceId":"a\\u0000b","eventDateUtc":"2026-11-21T10:00:00","eventType":"UPDATE","eventCategory":"CONTACT","tenantId":"x"}]}';
    const signature = createHmac('sha256', WEBHOOK_KEY).update(body).digest('base64');
    const res = await h.request('POST', '/webhooks/xero', { rawBody: body, headers: { 'x-xero-signature': signature, 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_characters');
  });
});
