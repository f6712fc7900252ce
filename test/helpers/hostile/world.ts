/**
 * Two tenants with real data, made the way the platform and the provider make it: a Xero
 * sandbox organisation each (OAuth round trip), posting defaults, documents from signed ops
 * webhooks pushed by the worker (synced invoices and a credit note, a payment, a bill held
 * because automatic bill creation is off, an invoice failed by Xero), contacts and purchase
 * orders imported in sync runs, the change feed, and a console session. Everything that names a
 * tenant's data is collected, so a response can be searched for another tenant's identifiers.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { XeroSandbox } from '../../../src/sandbox/xero/index.ts';
import { signWebhook } from '../../../src/security/standard-webhooks.ts';
import { creditNoteEvent, invoiceEvent, paymentEvent } from '../events.ts';
import { OPS_SECRET, requestedBill, type Harness } from '../harness.ts';
import { oauthRoundTrip } from '../oauth.ts';
import { startXeroHarness } from '../xero.ts';
import type { CapturedDelivery } from './auth.ts';

export const XERO_WEBHOOK_KEY = 'hostile-suite-xero-webhook-key-0123456789abcdef';
export const QBO_VERIFIER_TOKEN = 'hostile-suite-intuit-verifier-token-0123456789';

export interface TenantWorld {
  readonly tenantId: string;
  /** A word in every name and number of this tenant's data (e.g. `ALPHA`). */
  readonly tag: string;
  readonly token: string;
  readonly orgId: string;
  readonly documents: readonly { id: string; kind: string; status: string; sourceId: string }[];
  readonly documentIds: readonly string[];
  readonly failedIds: readonly string[];
  readonly heldIds: readonly string[];
  readonly billIds: readonly string[];
  readonly runIds: readonly string[];
  readonly sessionIds: readonly string[];
  readonly paymentIds: readonly string[];
  readonly captured: readonly CapturedDelivery[];
  /** Every string that names this tenant's data: ids, numbers, names, provider ids. */
  readonly identifiers: readonly string[];
}

export interface World {
  readonly h: Harness;
  readonly sb: XeroSandbox;
  readonly a: TenantWorld;
  readonly b: TenantWorld;
  close(): Promise<void>;
}

/** Runs the tenant's jobs until none is left (pushes wait for a debounce). */
export async function settle(h: Harness) {
  for (let i = 0; i < 10; i++) {
    await sql`update graphile_worker._private_jobs set run_at = now() where run_at > now()`.execute(h.database.db);
    await h.runJobs();
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs where attempts < max_attempts and locked_at is null`.execute(h.database.db);
    if (rows[0]!.n === 0) return;
  }
}

async function send(h: Harness, captured: CapturedDelivery[], event: unknown) {
  const body = JSON.stringify(event);
  const id = `msg_${randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = signWebhook(OPS_SECRET, id, timestamp, body);
  const res = await h.request('POST', '/webhooks/ops', {
    rawBody: body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature },
  });
  if (res.status !== 202) throw new Error(`ops webhook refused while building the world: ${res.status} ${res.text}`);
  captured.push({ id, timestamp, body, signature });
  return res.body.document_id as string;
}

function tagged<T extends Record<string, any>>(event: T, tag: string): T {
  const text = JSON.stringify(event)
    .replaceAll('cus_9', `cus_${tag.toLowerCase()}_9`)
    .replaceAll('Acme Ltd', `${tag} Acme Ltd`)
    .replaceAll('ap@acme.test', `ap@${tag.toLowerCase()}.test`)
    .replaceAll('sup_3', `sup_${tag.toLowerCase()}_3`)
    .replaceAll('Bolt Supplies', `${tag} Bolt Supplies`)
    .replaceAll('ar@bolt.test', `ar@${tag.toLowerCase()}-bolt.test`)
    .replaceAll('SUP-88', `SUP-${tag}-88`)
    .replaceAll('PO-501', `PO-${tag}-501`)
    .replaceAll('po_501', `po_${tag.toLowerCase()}_501`)
    .replaceAll('SO-77', `SO-${tag}-77`);
  return JSON.parse(text) as T;
}

async function buildTenant(h: Harness, sb: XeroSandbox, tenantId: string, tag: string): Promise<Omit<TenantWorld, 'identifiers' | 'documents' | 'documentIds' | 'failedIds' | 'heldIds' | 'billIds' | 'runIds' | 'paymentIds'>> {
  const org = sb.addOrganisation({ name: `${tag} Trading Ltd`, region: 'UK' });
  sb.setConsent({ organisations: [org.OrganisationID] });
  const { token } = await oauthRoundTrip(h, tenantId, 'xero');
  const defaults = await h.request('PUT', `/v1/tenants/${tenantId}/defaults`, {
    token,
    body: { sales_invoice_account: '200', purchase_bill_account: '300', payments_bank_account: '090', send_as: 'approved', auto_create_bills: false },
  });
  if (defaults.status !== 200) throw new Error(`defaults refused: ${defaults.text}`);

  const captured: CapturedDelivery[] = [];
  const low = tag.toLowerCase();
  await send(h, captured, tagged(invoiceEvent(tenantId, `inv_${low}_1`, { number: `INV-${tag}-1001` }), tag));
  await send(h, captured, tagged(requestedBill({ tenantId, id: `bill_${low}_1` }), tag));
  await settle(h);
  await send(h, captured, tagged(creditNoteEvent(tenantId, `cn_${low}_1`, { invoiceId: `inv_${low}_1` }), tag));
  await send(h, captured, tagged(paymentEvent(tenantId, `pay_${low}_1`, { amount: '5.00', allocations: [{ invoice_id: `inv_${low}_1`, amount: '5.00' }], reference: `PAY-${tag}-1` }), tag));
  // The same invoice number again: Xero refuses it, so the document fails with Xero's words.
  await send(h, captured, tagged(invoiceEvent(tenantId, `inv_${low}_dup`, { number: `INV-${tag}-1001` }), tag));
  await settle(h);

  const [supplier] = sb.addContacts(org.OrganisationID, [{ Name: `${tag} Fasteners`, IsSupplier: true }]) as { ContactID: string }[];
  sb.addPurchaseOrders(org.OrganisationID, [
    { PurchaseOrderNumber: `PO-${tag}-9`, Status: 'AUTHORISED', Contact: { ContactID: supplier!.ContactID }, LineItems: [{ Description: `${tag} bolts`, Quantity: 10, UnitAmount: 0.25, AccountCode: '300' }] },
  ]);
  for (const kind of ['contacts', 'purchase-orders']) {
    const run = await h.request('POST', `/v1/tenants/${tenantId}/imports/${kind}`, { token });
    if (run.status !== 202) throw new Error(`import refused: ${run.text}`);
  }
  await settle(h);
  const sessions: string[] = [];
  for (let i = 0; i < 2; i++) {
    const session = await h.request('POST', `/v1/tenants/${tenantId}/console-sessions`, { token });
    if (session.status !== 201) throw new Error(`console session refused: ${session.text}`);
    sessions.push(session.body.id);
  }
  return { tenantId, tag, token, orgId: org.OrganisationID, sessionIds: sessions, captured };
}

/** Everything in the database that names the tenant's data. */
async function collect(h: Harness, base: Awaited<ReturnType<typeof buildTenant>>): Promise<TenantWorld> {
  const db = h.database.db;
  const t = base.tenantId;
  const documents = await db.selectFrom('documents').select(['id', 'kind', 'status', 'source_id', 'provider_id', 'provider_number']).where('tenant_id', '=', t).orderBy('seq').execute();
  const runs = await db.selectFrom('sync_runs').select('id').where('tenant_id', '=', t).execute();
  const connection = await db.selectFrom('connections').select(['provider_org_id', 'provider_org_name']).where('tenant_id', '=', t).executeTakeFirstOrThrow();
  const contacts = await db.selectFrom('contacts').select(['provider_contact_id', 'name', 'email']).where('tenant_id', '=', t).execute();
  const pos = await db.selectFrom('purchase_orders').select(['provider_po_id', 'number']).where('tenant_id', '=', t).execute();
  const payments = await db.selectFrom('provider_payments').select(['provider_payment_id']).where('tenant_id', '=', t).execute();
  const deliveries = await db.selectFrom('inbound_events').select('delivery_id').where('tenant_id', '=', t).execute();
  const identifiers = new Set<string>([
    t, base.tag, base.tag.toLowerCase(), base.orgId, ...base.sessionIds,
    ...documents.flatMap((d) => [d.id, d.source_id, d.provider_id, d.provider_number]),
    ...runs.map((r) => r.id),
    connection.provider_org_id, connection.provider_org_name,
    ...contacts.flatMap((c) => [c.provider_contact_id, c.name, c.email]),
    ...pos.flatMap((p) => [p.provider_po_id, p.number]),
    ...payments.map((p) => p.provider_payment_id),
    ...deliveries.map((d) => d.delivery_id),
  ].filter((s): s is string => typeof s === 'string' && s.length >= 4));
  return {
    ...base,
    documents: documents.map((d) => ({ id: d.id, kind: d.kind, status: d.status, sourceId: d.source_id })),
    documentIds: documents.map((d) => d.id),
    failedIds: documents.filter((d) => d.status === 'failed').map((d) => d.id),
    heldIds: documents.filter((d) => d.status === 'held').map((d) => d.id),
    billIds: documents.filter((d) => d.kind === 'supplier_bill').map((d) => d.id),
    runIds: runs.map((r) => r.id),
    paymentIds: payments.map((p) => p.provider_payment_id),
    identifiers: [...identifiers],
  };
}

/** A harness on a fresh Xero sandbox, with tenants `alpha` and `bravo` built as described above. */
export async function buildWorld(opts: { tenants?: [string, string] } = {}): Promise<World> {
  const [ta, tb] = opts.tenants ?? ['org_alpha', 'org_bravo'];
  const { h, sb, close } = await startXeroHarness({
    env: { XERO_WEBHOOK_KEY, QBO_WEBHOOK_VERIFIER_TOKEN: QBO_VERIFIER_TOKEN },
    sandbox: { webhookKey: XERO_WEBHOOK_KEY },
  });
  try {
    const a = await collect(h, await buildTenant(h, sb, ta, 'ALPHA'));
    const b = await collect(h, await buildTenant(h, sb, tb, 'BRAVO'));
    // What both tenants have (e.g. a sandbox organisation's seeded records) identifies neither.
    const own = (t: TenantWorld, other: TenantWorld) => ({ ...t, identifiers: t.identifiers.filter((id) => !other.identifiers.includes(id)) });
    return { h, sb, a: own(a, b), b: own(b, a), close };
  } catch (error) {
    await close();
    throw error;
  }
}
