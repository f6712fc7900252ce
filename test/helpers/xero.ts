import { randomBytes, randomUUID } from 'node:crypto';
import { openSession } from '../../src/connections/session.ts';
import type { DocumentKind } from '../../src/db/schema.ts';
import type { AccountingProvider, DocumentOperation, DocumentOutcome, DocumentToPush, RelatedDocument } from '../../src/providers/types.ts';
import { BUILT_IN_DEFAULTS, type PostingDefaults } from '../../src/documents/posting-defaults.ts';
import { startXeroSandbox, type XeroSandbox } from '../../src/sandbox/xero/index.ts';
import { startHarness, type Harness } from './harness.ts';
import { consentAt, oauthRoundTrip } from './oauth.ts';

export const CALLBACK = 'http://127.0.0.1:8080/oauth/xero/callback';

/** A harness whose XERO_* settings point at a fresh loopback Xero sandbox. */
export async function startXeroHarness(opts: { env?: Record<string, string>; sandbox?: Parameters<typeof startXeroSandbox>[0] } = {}): Promise<{ h: Harness; sb: XeroSandbox; close: () => Promise<void> }> {
  const sb = await startXeroSandbox({ host: '127.0.0.1', ...opts.sandbox });
  const h = await startHarness({
    env: {
      XERO_CLIENT_ID: sb.clientId,
      XERO_CLIENT_SECRET: sb.clientSecret,
      XERO_REDIRECT_URI: CALLBACK,
      XERO_API_URL: sb.apiUrl,
      XERO_IDENTITY_URL: sb.identityUrl,
      XERO_LOGIN_URL: sb.loginUrl,
      ...opts.env,
    },
  });
  return { h, sb, close: async () => { await h.close(); await sb.close(); } };
}

/** Runs the browser part of the OAuth flow against the Xero sandbox, stopping before the callback. */
export const consentAtSandbox = (h: Harness, tenantId: string, body: Record<string, unknown> = { provider: 'xero' }) => consentAt(h, tenantId, 'xero', body);

/** Connects a tenant to one sandbox organisation through the real flow. */
export async function connectXero(h: Harness, sb: XeroSandbox, tenantId: string, orgName = 'Demo UK') {
  const org = sb.addOrganisation({ name: orgName, region: 'UK' });
  sb.setConsent({ organisations: [org.OrganisationID] });
  const { token } = await oauthRoundTrip(h, tenantId, 'xero');
  return { org, token };
}

// ---- Building DocumentToPush objects directly, for tests of the Xero provider's lanes. ----

/** Defaults that fit a sandbox UK organisation: sales 200, purchases 300, bank 090, sent approved. */
export const XERO_DEFAULTS: PostingDefaults = {
  ...BUILT_IN_DEFAULTS, sales_invoice_account: '200', purchase_bill_account: '300', payments_bank_account: '090', send_as: 'approved',
};

/** A batch key as the pipeline makes them (43 characters). */
export const batchKey = (): string => randomBytes(32).toString('base64url');

export interface PushDocOptions {
  operation?: DocumentOperation;
  providerId?: string | null;
  providerRefs?: Record<string, unknown> | null;
  providerStatus?: string | null;
  related?: Record<string, RelatedDocument>;
  defaults?: Partial<PostingDefaults>;
  documentId?: string;
}

export function pushDoc(kind: DocumentKind, source: Record<string, unknown>, o: PushDocOptions = {}): DocumentToPush {
  return {
    documentId: o.documentId ?? randomUUID(), kind, version: Number(source.version ?? 1), source, defaults: { ...XERO_DEFAULTS, ...o.defaults },
    operation: o.operation ?? 'create', providerId: o.providerId ?? null, providerRefs: o.providerRefs ?? null,
    providerStatus: o.providerStatus ?? null, syncedVersion: o.operation && o.operation !== 'create' ? 1 : null, related: o.related ?? {},
  };
}

/** A sales invoice source: 2 × 100.00 + 20% VAT = 240.00 unless lines are given. */
export function invoiceSource(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id, version: 1, number: `N-${id}`, issue_date: '2026-11-21', due_date: '2026-12-21', currency: 'GBP', amounts_are: 'exclusive',
    customer: { id: 'cus_1', name: 'Acme Ltd' }, lines: [{ description: 'Widget', quantity: '2', unit_price: '100.00', tax_rate: '20' }], ...overrides,
  };
}

/** The entry `related[sourceId]` for a document already synced as `outcome`. */
export function relatedTo(kind: DocumentKind, source: Record<string, unknown>, outcome: DocumentOutcome): Record<string, RelatedDocument> {
  if (outcome.status !== 'synced') throw new Error(`not synced: ${JSON.stringify(outcome)}`);
  const party = (source.customer ?? source.supplier ?? null) as RelatedDocument['party'];
  return { [String(source.id)]: { documentId: outcome.documentId, kind, sourceId: String(source.id), providerId: outcome.providerId, party, currency: String(source.currency ?? 'GBP') } };
}

/** prepareBatch then sendBatch through a real session; the prepared request is returned for replays. */
export async function pushThroughXero(h: Harness, provider: AccountingProvider, tenantId: string, documents: DocumentToPush[], key = batchKey()) {
  const session = await openSession(h.ctx.providerDeps, provider, tenantId);
  const prepared = await provider.prepareBatch(session, documents);
  const outcomes = prepared.documentIds.length > 0 ? await provider.sendBatch(session, prepared, key) : [];
  return { prepared, outcomes, refused: prepared.refused, key, session };
}

/** The outcome, which must be synced (narrowed for the assertions that follow). */
export const synced = (o: DocumentOutcome | undefined) => {
  if (o?.status !== 'synced') throw new Error(`expected synced, got ${JSON.stringify(o)}`);
  return o;
};
