// Loopback HTTP simulator of Xero (login, identity, connections and the Accounting API).
import { randomBytes } from 'node:crypto';
import { createSandboxCore, resetSandboxCore, sandboxHandleBase } from '../shared/context.ts';
import type { SandboxBaseOptions, SandboxHandleBase } from '../shared/context.ts';
import { faultControls } from '../shared/faults.ts';
import { startSandboxServer } from '../shared/server.ts';
import { API_PREFIX, createApp, IDENTITY_PREFIX, LOGIN_PREFIX } from './app.ts';
import type { Consent, SandboxContext } from './context.ts';
import { contactJson } from './contacts.ts';
import { createContractChecker } from './contract.ts';
import { createFaults } from './faults.ts';
import type { FailOptions, FaultTarget, Force429Options } from './faults.ts';
import { creditNoteJson } from './credit-notes.ts';
import { invoiceJson } from './invoice-json.ts';
import { overpaymentJson, paymentJson } from './payment-json.ts';
import { createPayment } from './payments.ts';
import { createTokenSigner } from './jwt.ts';
import { createLimiter } from './limits.ts';
import { createOAuthStore } from './oauth-store.ts';
import type { Connection } from './oauth-store.ts';
import { purchaseOrderJson } from './purchase-orders.ts';
import { patchContact, patchPurchaseOrder, seedContacts, seedPurchaseOrders } from './seed-data.ts';
import type { SeedContact, SeedPurchaseOrder } from './seed-data.ts';
import { createStore, emptyStats } from './store.ts';
import type { AddOrganisationInput, OrgState } from './store.ts';
import { grantTokens } from './test-grant.ts';
import type { GrantTokensOptions, TokenResponse } from './test-grant.ts';
import type {
  ContractViolation, JsonObject, Organisation, OrgStats, RateLimits, RequestLogEntry, TokenRequestLogEntry,
} from './types.ts';
import { createWebhookSender } from './webhooks.ts';
import type { IntentToReceiveResult, SendWebhookOptions, WebhookEventInput, WebhookResult } from './webhooks.ts';

export type { Consent } from './context.ts';
export type { FailOptions, FaultTarget, Force429Options, QueryMatch } from './faults.ts';
export type { SeedContact, SeedPurchaseOrder } from './seed-data.ts';
export type {
  IntentToReceiveResult, SendWebhookOptions, WebhookEventCategory, WebhookEventInput, WebhookResult,
} from './webhooks.ts';
export type { AddOrganisationInput } from './store.ts';
export type { GrantTokensOptions, TokenResponse } from './test-grant.ts';
export type { Connection } from './oauth-store.ts';
export type * from './types.ts';

/** port, host, clock, timeScale, clientId, clientSecret and logger as for every sandbox (SandboxBaseOptions). */
export interface XeroSandboxOptions extends SandboxBaseOptions {
  limits?: Partial<RateLimits>;
  webhookKey?: string;
  /** Path of xero_accounting.yaml used for contract checks. */
  specPath?: string;
}

/** clientId, clientSecret, requests, tokenRequests, now, close and setConsent come from SandboxHandleBase. */
export interface XeroSandbox extends SandboxHandleBase<RequestLogEntry, TokenRequestLogEntry, Consent> {
  /** Origin, e.g. http://127.0.0.1:PORT */
  readonly url: string;
  /** Like https://login.xero.com — serves /identity/connect/authorize. */
  readonly loginUrl: string;
  /** Like https://identity.xero.com — serves /connect/token, /connect/revocation, /.well-known/openid-configuration. */
  readonly identityUrl: string;
  /** Like https://api.xero.com — serves /connections and /api.xro/2.0/... */
  readonly apiUrl: string;
  readonly webhookKey: string;
  readonly limits: RateLimits;
  /** Every call to apiUrl (connections + accounting), oldest first. */
  readonly requests: RequestLogEntry[];
  readonly contractViolations: ContractViolation[];
  addOrganisation(input: AddOrganisationInput): Organisation;
  organisations(): Organisation[];
  connections(): Connection[];
  invoices(tenantId: string): JsonObject[];
  contacts(tenantId: string): JsonObject[];
  purchaseOrders(tenantId: string): JsonObject[];
  /** Every payment (including DELETED ones), as GET /Payments shows them. */
  payments(tenantId: string): JsonObject[];
  creditNotes(tenantId: string): JsonObject[];
  overpayments(tenantId: string): JsonObject[];
  /** A payment a user records in Xero (not through the API): Xero's payment rules apply; throws with Xero's message when refused. */
  addPaymentAtXero(tenantId: string, payment: AddPaymentAtXero): JsonObject;
  /** Insert contacts directly (fast; for 5,000+-contact organisations). UpdatedDateUTC defaults to now. */
  addContacts(tenantId: string, contacts: SeedContact[]): JsonObject[];
  /** Change a contact as a Xero user would; bumps UpdatedDateUTC (strictly later unless given). */
  updateContact(tenantId: string, contactId: string, patch: SeedContact): JsonObject;
  /** Create purchase orders with Xero's validation (any Status, optional PurchaseOrderID/UpdatedDateUTC); all or none. */
  addPurchaseOrders(tenantId: string, orders: SeedPurchaseOrder[]): JsonObject[];
  /** Change a purchase order as a Xero user would (e.g. `{ Status: 'BILLED' }`); bumps UpdatedDateUTC. */
  updatePurchaseOrder(tenantId: string, purchaseOrderId: string, patch: SeedPurchaseOrder): JsonObject;
  stats(tenantId: string): OrgStats;
  /** Fail the next n matching calls; `path` regex and/or `query` (e.g. `{ page: '3' }`) narrow the match. */
  failNext(n: number, opts?: FailOptions): void;
  delayNext(n: number, ms: number, opts?: FaultTarget): void;
  dropAfterWrite(n: number, opts?: FaultTarget): void;
  force429(n: number, opts?: Force429Options): void;
  revokeRefreshTokens(tenantOrClient?: string): number;
  expireAccessTokens(tenantOrClient?: string): number;
  /** POST a signed webhook delivery of `events` to `targetUrl`, as Xero does. */
  sendWebhook(targetUrl: string, events: WebhookEventInput[], opts?: SendWebhookOptions): Promise<WebhookResult>;
  /** Send Xero's intent-to-receive probe (signed with webhookKey when valid, another key otherwise) and judge the answer. */
  sendIntentToReceive(targetUrl: string, opts: { valid: boolean; timeoutMs?: number }): Promise<IntentToReceiveResult>;
  /** Run the authorize + code exchange over HTTP, as a consenting user would. */
  grantTokens(opts?: GrantTokensOptions): Promise<TokenResponse>;
  /** Clear logs, violations, faults, limits, idempotency keys, contacts, invoices, credit notes, payments, overpayments and purchase orders. Organisations and tokens stay. */
  reset(): void;
}

/** `invoiceId` or `creditNoteId` (a refund); `date` as YYYY-MM-DD, default today; `accountCode` default "090" (the bank account). */
export interface AddPaymentAtXero {
  invoiceId?: string;
  creditNoteId?: string;
  amount: number;
  accountCode?: string;
  date?: string;
  reference?: string;
}

/** How long the sandbox keeps an Idempotency-Key, like Xero: 6 minutes from its first call. */
export const XERO_IDEMPOTENCY_WINDOW_MS = 6 * 60_000;

export async function startXeroSandbox(opts: XeroSandboxOptions = {}): Promise<XeroSandbox> {
  const core = createSandboxCore<RequestLogEntry, TokenRequestLogEntry, Consent>('xero', opts, {
    clientId: 'LEDGERPORTSANDBOXCLIENTID0000001',
    clientSecret: 'ledgerport-sandbox-client-secret-0123456789abcdef',
    consent: {},
    // Xero: "keys are stored for 6 minutes from the time of the first call, after which they expire"
    // (https://developer.xero.com/documentation/guides/idempotent-requests/idempotency/).
    idempotencyWindowMs: XERO_IDEMPOTENCY_WINDOW_MS,
  });
  const { clock } = core;
  const server = await startSandboxServer(opts);
  const { url } = server;
  const urls = { url, loginUrl: `${url}${LOGIN_PREFIX}`, identityUrl: `${url}${IDENTITY_PREFIX}`, apiUrl: `${url}${API_PREFIX}` };

  const store = createStore(clock);
  const ctx: SandboxContext = {
    ...core,
    store,
    oauth: createOAuthStore(clock),
    signer: await createTokenSigner(urls.identityUrl, clock),
    limiter: createLimiter(clock, opts.limits),
    faults: createFaults(),
    contract: createContractChecker(opts.specPath),
    urls,
  };
  server.serve(createApp(ctx).fetch);
  const webhookKey = opts.webhookKey ?? randomBytes(48).toString('base64');

  const org = (tenantId: string): OrgState => {
    const s = store.get(tenantId);
    if (!s) throw new Error(`unknown tenant ${tenantId}`);
    return s;
  };
  const webhooks = createWebhookSender({ apiUrl: urls.apiUrl, webhookKey, now: () => clock.now() });

  return {
    ...sandboxHandleBase(core, server),
    ...urls,
    webhookKey,
    limits: ctx.limiter.limits,
    contractViolations: ctx.contract.violations,
    addOrganisation: (input) => store.addOrganisation(input),
    organisations: () => [...store.orgs.values()].map((s) => s.org),
    connections: () => [...ctx.oauth.connections.values()],
    invoices: (t) => { const s = org(t); return [...s.invoices.values()].map((i) => invoiceJson(s, i)); },
    contacts: (t) => [...org(t).contacts.values()].map((c) => contactJson(c)),
    purchaseOrders: (t) => { const s = org(t); return [...s.purchaseOrders.values()].map((p) => purchaseOrderJson(s, p)); },
    payments: (t) => { const s = org(t); return [...s.payments.values()].map((p) => paymentJson(s, p)); },
    creditNotes: (t) => { const s = org(t); return [...s.creditNotes.values()].map((c) => creditNoteJson(s, c)); },
    overpayments: (t) => { const s = org(t); return [...s.overpayments.values()].map((o) => overpaymentJson(s, o)); },
    addPaymentAtXero(t, p) {
      const s = org(t);
      const now = clock.now();
      const result = createPayment(s, {
        ...(p.invoiceId ? { Invoice: { InvoiceID: p.invoiceId } } : {}),
        ...(p.creditNoteId ? { CreditNote: { CreditNoteID: p.creditNoteId } } : {}),
        Account: { Code: p.accountCode ?? '090' },
        Date: p.date ?? new Date(now).toISOString().slice(0, 10),
        Amount: p.amount,
        ...(p.reference !== undefined ? { Reference: p.reference } : {}),
      }, now);
      if (!result.ok) throw new Error(`Xero refused the payment: ${result.errors.join('; ')}`);
      return result.out;
    },
    addContacts: (t, list) => seedContacts(org(t), list, clock.now()),
    updateContact: (t, id, patch) => patchContact(org(t), id, patch, clock.now()),
    addPurchaseOrders: (t, list) => seedPurchaseOrders(org(t), list, clock.now()),
    updatePurchaseOrder: (t, id, patch) => patchPurchaseOrder(org(t), id, patch, clock.now()),
    stats: (t) => org(t).stats,
    ...faultControls(ctx.faults),
    revokeRefreshTokens: (m) => ctx.oauth.revokeRefreshTokens(m),
    expireAccessTokens: (m) => ctx.oauth.expireAccessTokens(m),
    grantTokens: (o) => grantTokens(ctx, o),
    sendWebhook: (target, events, o) => webhooks.send(target, events, o),
    sendIntentToReceive: (target, o) => webhooks.intentToReceive(target, o),
    reset() {
      resetSandboxCore(ctx);
      ctx.contract.reset();
      ctx.faults.reset();
      ctx.limiter.reset();
      store.resetData();
      for (const s of store.orgs.values()) s.stats = emptyStats();
    },
  };
}
