// Loopback HTTP simulator of QuickBooks Online (consent page, OAuth token service and Accounting API v3).
import { randomBytes } from 'node:crypto';
import { createSandboxCore, resetSandboxCore, sandboxHandleBase } from '../shared/context.ts';
import type { SandboxBaseOptions, SandboxHandleBase } from '../shared/context.ts';
import { faultControls } from '../shared/faults.ts';
import { startSandboxServer } from '../shared/server.ts';
import { API_PREFIX, AUTHORIZE_PREFIX, createApp, OAUTH_PREFIX } from './app.ts';
import type { Consent, SandboxContext } from './context.ts';
import { entityByName, patchEntity, removeEntity, voidEntity } from './entities.ts';
import { addPaymentInQuickBooks, moveQuickBooksPayment } from './in-quickbooks.ts';
import type { PaymentInQuickBooks } from './in-quickbooks.ts';
import { createFaults } from './faults.ts';
import type { FailOptions, FaultTarget } from './faults.ts';
import { createIdTokenSigner } from './id-token.ts';
import { createLimiter } from './limits.ts';
import { createOAuthStore } from './oauth-store.ts';
import { seedEntities } from './seeding.ts';
import type { SeedEntity } from './seeding.ts';
import { createStore, serialize, table } from './store.ts';
import type { AddCompanyInput, CompanyState } from './store.ts';
import { grantTokens } from './test-grant.ts';
import type { GrantTokensOptions, TokenResponse } from './test-grant.ts';
import type { Company, CompanyStats, EntityName, JsonObject, RateLimits, RequestLogEntry, TokenRequestLogEntry } from './types.ts';
import { createWebhookSender } from './webhooks.ts';
import type { SendWebhookOptions, WebhookEventInput, WebhookResult } from './webhooks.ts';

export type { Consent } from './context.ts';
export type { FailOptions, FaultTarget, QueryMatch } from './faults.ts';
export type { SeedEntity } from './seeding.ts';
export type { PaymentInQuickBooks } from './in-quickbooks.ts';
export type { AddCompanyInput } from './store.ts';
export type { GrantTokensOptions, TokenResponse } from './test-grant.ts';
export type { SendWebhookOptions, WebhookEventInput, WebhookOperation, WebhookResult } from './webhooks.ts';
export { sign as signWebhook } from './webhooks.ts';
export type * from './types.ts';

/** port, host, clock, timeScale, clientId, clientSecret and logger as for every sandbox (SandboxBaseOptions). */
export interface QuickBooksSandboxOptions extends SandboxBaseOptions {
  limits?: Partial<RateLimits>;
  webhookVerifierToken?: string;
}

/** clientId, clientSecret, requests, tokenRequests, now, close and setConsent come from SandboxHandleBase. */
export interface QuickBooksSandbox extends SandboxHandleBase<RequestLogEntry, TokenRequestLogEntry, Consent> {
  /** Origin, e.g. http://127.0.0.1:PORT */
  readonly url: string;
  /** Like https://appcenter.intuit.com/connect/oauth2 (the full consent endpoint: QBO_AUTHORIZE_URL). */
  readonly authorizeUrl: string;
  /** Like https://oauth.platform.intuit.com (QBO_OAUTH_URL): /oauth2/v1/tokens/bearer, /oauth2/v1/tokens/revoke, ... */
  readonly oauthUrl: string;
  /** Like https://quickbooks.api.intuit.com (QBO_API_URL): /v3/company/{realmId}/... */
  readonly apiUrl: string;
  readonly webhookVerifierToken: string;
  readonly limits: RateLimits;
  /** Every call to apiUrl, oldest first. */
  readonly requests: RequestLogEntry[];
  addCompany(input: AddCompanyInput): Company;
  companies(): Company[];
  revokeRefreshTokens(realmId?: string): number;
  expireAccessTokens(realmId?: string): number;
  stats(realmId: string): CompanyStats;
  failNext(n: number, opts?: FailOptions): void;
  delayNext(n: number, ms: number, opts?: FaultTarget): void;
  dropAfterWrite(n: number, opts?: FaultTarget): void;
  force429(n: number, opts?: FaultTarget): void;
  invoices(realmId: string): JsonObject[];
  bills(realmId: string): JsonObject[];
  customers(realmId: string): JsonObject[];
  vendors(realmId: string): JsonObject[];
  purchaseOrders(realmId: string): JsonObject[];
  items(realmId: string): JsonObject[];
  /** Live payments (voided ones included, with zero amounts), credit memos and refund receipts. */
  payments(realmId: string): JsonObject[];
  creditMemos(realmId: string): JsonObject[];
  refundReceipts(realmId: string): JsonObject[];
  /** Any entity type (`'Account'`, `'TaxCode'`, ...), deleted ones included as `{ status: 'Deleted' }` tombstones. */
  entities(realmId: string, entity: EntityName): JsonObject[];
  addCustomers(realmId: string, list: SeedEntity[]): JsonObject[];
  addVendors(realmId: string, list: SeedEntity[]): JsonObject[];
  addPurchaseOrders(realmId: string, list: SeedEntity[]): JsonObject[];
  addItems(realmId: string, list: SeedEntity[]): JsonObject[];
  /** A change made in QuickBooks: sparse merge (null removes), SyncToken + 1, LastUpdatedTime strictly later. */
  updateEntity(realmId: string, entity: EntityName | string, id: string, patch: Record<string, unknown>): JsonObject;
  /** Delete a transaction in QuickBooks (kept as a tombstone that CDC reports); a deleted payment gives its invoices their balance back. */
  deleteEntity(realmId: string, entity: EntityName | string, id: string): void;
  /** Void an Invoice or Payment in QuickBooks: zero amounts, "Voided" in PrivateNote, linked payments released. */
  voidEntity(realmId: string, entity: EntityName | string, id: string): JsonObject;
  /** A user receiving a payment in QuickBooks and applying it to invoices (validated as the API does). */
  addPaymentInQuickBooks(realmId: string, payment: PaymentInQuickBooks): JsonObject;
  /** A user moving a payment in QuickBooks to other invoices / amounts (SyncToken + 1 on it and every invoice touched). */
  moveQuickBooksPayment(realmId: string, paymentId: string, move: { lines: PaymentInQuickBooks['lines']; credits?: PaymentInQuickBooks['credits']; total?: number }): JsonObject;
  sendWebhook(targetUrl: string, events: WebhookEventInput[], opts?: SendWebhookOptions): Promise<WebhookResult>;
  /** Run the consent + code exchange over HTTP, as a consenting user would. */
  grantTokens(opts?: GrantTokensOptions): Promise<TokenResponse>;
  /** Clear logs, faults, limits, requestids, stats and all customers/vendors/transactions. Companies and tokens stay. */
  reset(): void;
}

/**
 * How long the sandbox keeps a requestid. Intuit does not say how long QuickBooks does
 * (https://blogs.intuit.com/2015/04/06/15346/ describes only what a repeated one answers); the
 * sandbox forgets them after an hour, so tests can move its clock past that.
 */
export const QUICKBOOKS_REQUESTID_WINDOW_MS = 60 * 60_000;

export async function startQuickBooksSandbox(opts: QuickBooksSandboxOptions = {}): Promise<QuickBooksSandbox> {
  const core = createSandboxCore<RequestLogEntry, TokenRequestLogEntry, Consent>('quickbooks', opts, {
    clientId: 'ABsandboxLedgerportClientId0000000000000000000001',
    clientSecret: 'sandboxLedgerportClientSecret000000000001',
    consent: {},
    idempotencyWindowMs: QUICKBOOKS_REQUESTID_WINDOW_MS,
  });
  const { clock } = core;
  const server = await startSandboxServer(opts);
  const { url } = server;
  const urls = { url, authorizeUrl: `${url}${AUTHORIZE_PREFIX}`, oauthUrl: `${url}${OAUTH_PREFIX}`, apiUrl: `${url}${API_PREFIX}` };

  const store = createStore(clock);
  const ctx: SandboxContext = {
    ...core,
    store,
    oauth: createOAuthStore(clock),
    idTokens: createIdTokenSigner(clock),
    limiter: createLimiter(clock, opts.limits),
    faults: createFaults(),
    urls,
  };
  server.serve(createApp(ctx).fetch);
  const webhookVerifierToken = opts.webhookVerifierToken ?? randomBytes(18).toString('hex');
  const webhooks = createWebhookSender({ verifierToken: webhookVerifierToken, now: () => clock.now() });

  const company = (realmId: string): CompanyState => {
    const s = store.get(realmId);
    if (!s) throw new Error(`unknown realm ${realmId}`);
    return s;
  };
  const entity = (name: string): EntityName => {
    const e = entityByName(name);
    if (!e) throw new Error(`unknown entity ${name}`);
    return e;
  };
  const list = (realmId: string, e: EntityName, withDeleted = false): JsonObject[] =>
    [...table(company(realmId), e).values()].filter((r) => withDeleted || !r.deleted).map(serialize);

  return {
    ...sandboxHandleBase(core, server),
    ...urls,
    webhookVerifierToken,
    limits: ctx.limiter.limits,
    addCompany: (input) => store.addCompany(input),
    companies: () => [...store.companies.values()].map((s) => ({ ...s.company })),
    revokeRefreshTokens: (m) => ctx.oauth.revokeRefreshTokens(m),
    expireAccessTokens: (m) => ctx.oauth.expireAccessTokens(m),
    stats: (r) => ({ ...company(r).stats }),
    ...faultControls(ctx.faults),
    invoices: (r) => list(r, 'Invoice'),
    bills: (r) => list(r, 'Bill'),
    customers: (r) => list(r, 'Customer'),
    vendors: (r) => list(r, 'Vendor'),
    purchaseOrders: (r) => list(r, 'PurchaseOrder'),
    items: (r) => list(r, 'Item'),
    payments: (r) => list(r, 'Payment'),
    creditMemos: (r) => list(r, 'CreditMemo'),
    refundReceipts: (r) => list(r, 'RefundReceipt'),
    entities: (r, e) => list(r, entity(e), true),
    addCustomers: (r, l) => seedEntities(company(r), 'Customer', l, clock.now()),
    addVendors: (r, l) => seedEntities(company(r), 'Vendor', l, clock.now()),
    addPurchaseOrders: (r, l) => seedEntities(company(r), 'PurchaseOrder', l, clock.now()),
    addItems: (r, l) => seedEntities(company(r), 'Item', l, clock.now()),
    updateEntity: (r, e, id, patch) => patchEntity(company(r), entity(e), id, patch as JsonObject, clock.now()),
    deleteEntity: (r, e, id) => removeEntity(company(r), entity(e), id, clock.now()),
    voidEntity: (r, e, id) => voidEntity(company(r), entity(e), id, clock.now()),
    addPaymentInQuickBooks: (r, p) => addPaymentInQuickBooks(company(r), p, clock.now()),
    moveQuickBooksPayment: (r, id, move) => moveQuickBooksPayment(company(r), id, move, clock.now()),
    sendWebhook: (target, events, o) => webhooks.send(target, events, o),
    grantTokens: (o) => grantTokens(ctx, o),
    reset() {
      resetSandboxCore(ctx);
      ctx.faults.reset();
      ctx.limiter.reset();
      store.resetData();
    },
  };
}
