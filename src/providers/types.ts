import type { DocumentKind, ProviderName } from '../db/schema.ts';
import type { PostingDefaults } from '../documents/posting-defaults.ts';
import type { ProviderCapabilities } from './capabilities.ts';

/** A provider token set as stored (encrypted) in `connections.token_set`. Times in epoch ms. */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresAt: number;
  readonly refreshTokenExpiresAt?: number;
  readonly scope?: string;
  /** The organisation the consent was for, when the provider says so in the callback (QuickBooks realmId). */
  readonly providerOrgId?: string;
}

export interface ProviderOrganisation {
  readonly id: string;
  readonly name: string;
  /** Xero's connection id (for DELETE /connections/{id}); QuickBooks has none. */
  readonly connectionId?: string;
}

/** The refresh token is no longer accepted: only the user can reconnect. */
export class InvalidGrantError extends Error {
  constructor(message = 'the provider no longer accepts the refresh token (invalid_grant)') {
    super(message);
    this.name = 'InvalidGrantError';
  }
}

export type ProviderFailureKind =
  | 'validation' // the provider refused the request's content: retrying the same request cannot help
  | 'unauthorized' // 401: the access token was refused
  | 'forbidden' // 403: the organisation is no longer connected
  | 'rate_limited' // 429
  | 'transient' // 5xx: the outcome of a write is unknown
  | 'unreachable'; // timeout or dropped connection: the outcome of a write is unknown

/** A classified failure of one provider call, with the provider's own words. */
export class ProviderError extends Error {
  readonly kind: ProviderFailureKind;
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  readonly problem: string | undefined;
  readonly details: readonly ProviderMessage[];
  /** The provider's own error code, where it gives one (QuickBooks: "5010", "6240", …). */
  readonly code: string | undefined;
  constructor(
    kind: ProviderFailureKind,
    message: string,
    opts: { status?: number; retryAfterMs?: number; problem?: string; details?: readonly ProviderMessage[]; code?: string } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
    this.kind = kind;
    this.status = opts.status ?? 0;
    this.retryAfterMs = opts.retryAfterMs;
    this.problem = opts.problem;
    this.details = opts.details ?? [];
    this.code = opts.code;
  }
  /** A write may have been applied: resolve by replaying its idempotency key, never by a new create. */
  get outcomeUnknown(): boolean {
    return this.kind === 'transient' || this.kind === 'unreachable';
  }
}

/** One message from the provider, attached to a line where the provider says which. */
export interface ProviderMessage {
  readonly message: string;
  readonly line?: number;
  readonly field?: string;
}

/**
 * What a push does to a document at the provider, derived from the document's state when it is
 * claimed: `create` (no provider record yet), `update` (a newer version of a synced document), or
 * `void` (the platform voided / deleted it: Xero VOIDED or DELETED, QuickBooks void or delete).
 */
export type DocumentOperation = 'create' | 'update' | 'void';

/** A document this one refers to (a payment's invoices, a credit note's invoice, a refund's credit note), already at the provider. */
export interface RelatedDocument {
  readonly documentId: string;
  readonly kind: DocumentKind;
  /** The platform's id of it (source id). */
  readonly sourceId: string;
  readonly providerId: string;
  /** Its customer or supplier as the platform sent it, for payments that name no customer. */
  readonly party: { id: string; name: string; email?: string } | null;
  readonly currency: string | null;
}

export interface DocumentToPush {
  readonly documentId: string;
  readonly kind: DocumentKind;
  readonly version: number;
  readonly source: Record<string, unknown>;
  readonly defaults: PostingDefaults;
  readonly operation: DocumentOperation;
  /** The provider's record (update and void). */
  readonly providerId: string | null;
  /** What the provider kept for this document at its last sync (see DocumentOutcome.providerRefs). */
  readonly providerRefs: Record<string, unknown> | null;
  /** The provider's status at the last sync (Xero: DRAFT, AUTHORISED, PAID, …). */
  readonly providerStatus: string | null;
  /** The version at the provider (update: what changed since). */
  readonly syncedVersion: number | null;
  /** The documents the source refers to, by source id; every one is synced when the document is claimed. */
  readonly related: Readonly<Record<string, RelatedDocument>>;
}

export type DocumentOutcome =
  | {
      readonly documentId: string;
      readonly status: 'synced';
      readonly providerId: string;
      readonly providerNumber: string | null;
      /**
       * Provider ids this document needs for later updates (e.g. one Xero payment per
       * allocation); replaces what was stored. `providerPaymentIds` (string[]) names the
       * payments it made at the provider, so payments read back in are known as Ledgerport's own.
       */
      readonly providerRefs?: Record<string, unknown>;
      /** As the provider reports them after this write, where it does (decimal strings). */
      readonly amountPaid?: string | null;
      readonly amountDue?: string | null;
      readonly providerStatus?: string | null;
    }
  | { readonly documentId: string; readonly status: 'failed'; readonly errors: readonly ProviderMessage[] };

/** An authenticated view of one connected organisation, for the duration of a job. */
export interface ProviderSession {
  readonly tenantId: string;
  readonly orgId: string;
  accessToken(): Promise<string>;
  /** After a 401: refresh (once per connection across processes) and return the new token. */
  refreshedAccessToken(): Promise<string>;
}

/** A create request ready to send, kept so an unknown outcome can be replayed byte for byte. */
export interface PreparedBatch {
  readonly request: unknown;
  /** The documents in the request, in request order. */
  readonly documentIds: readonly string[];
  /** Documents refused before sending (e.g. no tax type fits): failed with these messages. */
  readonly refused: readonly DocumentOutcome[];
}

export interface ProviderOAuth {
  authorizeUrl(opts: { state: string; codeChallenge: string }): Promise<string>;
  /** `callback` is the whole query the provider redirected back with (QuickBooks adds realmId). */
  exchangeCode(opts: { code: string; codeVerifier: string; state: string; callback: Record<string, string> }): Promise<TokenSet>;
  /** Throws InvalidGrantError when the refresh token is refused. */
  refresh(tokens: TokenSet): Promise<TokenSet>;
  revoke(tokens: TokenSet): Promise<void>;
  listOrganisations(tokens: TokenSet): Promise<ProviderOrganisation[]>;
}

export interface AccountingProvider {
  readonly name: ProviderName;
  readonly capabilities: ProviderCapabilities;
  readonly oauth: ProviderOAuth;
  /**
   * Builds one request for documents of one lane (capabilities.lane): reads what it needs
   * (contacts, tax rates, QuickBooks SyncTokens), creates nothing but contacts and items.
   */
  prepareBatch(session: ProviderSession, documents: readonly DocumentToPush[]): Promise<PreparedBatch>;
  /**
   * Sends a prepared request; per-document outcomes in request order, or throws ProviderError.
   * A batch may take several calls (a credit note and its allocation, payments and an
   * overpayment): each carries a key derived from `idempotencyKey` and the call's place in the
   * batch (`${idempotencyKey}-a1`, at most 50 characters), so a replay of the stored request
   * repeats every call with the same key and the provider answers each as it did the first time.
   */
  sendBatch(session: ProviderSession, batch: { request: unknown; documentIds: readonly string[] }, idempotencyKey: string): Promise<DocumentOutcome[]>;
  /**
   * How long the provider keeps an idempotency key (Xero `Idempotency-Key`, QuickBooks
   * `requestid`) from its first call, as configured (XERO_IDEMPOTENCY_WINDOW_MINUTES,
   * QBO_REQUESTID_WINDOW_MINUTES). A batch whose outcome is unknown is replayed with its key
   * only while the key is younger than this; an older one is settled by looking its documents
   * up (records.findDocuments), because the provider would treat the replay as a new request.
   */
  readonly idempotencyWindowMs: number;
  readonly records: ProviderRecords;
  /** The rate governor's paceDelayMs for the session's organisation: how long a partial batch should wait before it is claimed. */
  paceDelayMs?(session: ProviderSession): Promise<number>;
  /** What in the posting defaults the organisation does not have (unknown account, no fitting tax type). */
  checkDefaults(defaults: PostingDefaults, catalog: { accounts: readonly ProviderAccount[]; taxRates: readonly ProviderTaxRate[] }): DefaultsProblem[];
}

export interface DefaultsProblem {
  readonly field: string;
  readonly message: string;
}

/** A contact (customer and/or supplier) as the provider keeps it, in provider-neutral form. */
export interface ProviderContact {
  readonly id: string;
  readonly name: string;
  readonly email: string | null;
  readonly phones: readonly { type: string; number: string }[];
  readonly addresses: readonly { type: string; lines: string[]; city: string | null; region: string | null; postalCode: string | null; country: string | null }[];
  readonly taxNumber: string | null;
  readonly isCustomer: boolean;
  readonly isSupplier: boolean;
  readonly archived: boolean;
  readonly updatedAt: Date | null;
}

export interface ProviderPurchaseOrder {
  readonly id: string;
  readonly number: string | null;
  readonly reference: string | null;
  /** Open: authorised and neither billed nor deleted. */
  readonly open: boolean;
  readonly providerStatus: string;
  readonly supplier: { id: string; name: string };
  readonly lines: readonly { description: string; quantity: string; unitPrice: string; itemCode: string | null; accountCode: string | null; lineAmount: string | null }[];
  readonly currency: string | null;
  readonly issueDate: string | null;
  readonly deliveryDate: string | null;
  readonly total: string | null;
  readonly updatedAt: Date | null;
}

export interface ProviderAccount {
  readonly code: string;
  readonly name: string;
  readonly type: string;
  readonly status: 'active' | 'archived';
  readonly description: string | null;
}

export interface ProviderTaxRate {
  readonly code: string;
  readonly name: string;
  readonly rate: number;
  readonly status: 'active' | 'archived';
  readonly appliesToSales: boolean;
  readonly appliesToPurchases: boolean;
}

/** One page of an incremental import; `nextPage` null when this was the last one. */
export interface ImportPage<T> {
  readonly items: readonly T[];
  readonly nextPage: number | null;
}

/** The "in" half: what imports, webhook refreshes and the pickers need from a provider. */
export interface ProviderRecords {
  contactsPage(session: ProviderSession, opts: { page: number; modifiedSince: Date | null; includeArchived: boolean }): Promise<ImportPage<ProviderContact>>;
  contact(session: ProviderSession, id: string): Promise<ProviderContact | null>;
  purchaseOrdersPage(session: ProviderSession, opts: { page: number; modifiedSince: Date | null; onlyOpen: boolean }): Promise<ImportPage<ProviderPurchaseOrder>>;
  purchaseOrder(session: ProviderSession, id: string): Promise<ProviderPurchaseOrder | null>;
  accounts(session: ProviderSession): Promise<ProviderAccount[]>;
  taxRates(session: ProviderSession): Promise<ProviderTaxRate[]>;
  /** Payments in: invoices' amounts and the payments applied to them, as the provider holds them now. Unknown ids are left out. */
  invoiceStates(session: ProviderSession, providerInvoiceIds: readonly string[]): Promise<ProviderInvoiceState[]>;
  /** One payment (QuickBooks Payment webhooks and CDC); null when the provider no longer has it. */
  payment(session: ProviderSession, providerPaymentId: string): Promise<ProviderPayment | null>;
  /**
   * Payments in without webhooks (QuickBooks change data capture): the invoices and payments
   * changed since `since`. Absent where the provider's webhooks are the only source (Xero).
   */
  paymentChanges?(session: ProviderSession, since: Date): Promise<PaymentChanges>;
  /**
   * Documents as the provider holds them now, looked up by provider id, number and reference:
   * those of `query.kind` matching any of `ids`, `numbers` or `references` (every one when none
   * is given), issued within `dateFrom`..`dateTo` when given. Only reads. Used to settle a write
   * whose idempotency key the provider no longer keeps, and by reconciliations.
   */
  findDocuments(session: ProviderSession, query: DocumentQuery): Promise<ProviderDocument[]>;
}

/** The kinds that carry a number at the provider, so they can be looked up by it. */
export type NumberedKind = 'sales_invoice' | 'supplier_bill' | 'credit_note';
export const NUMBERED_KINDS: readonly NumberedKind[] = ['sales_invoice', 'supplier_bill', 'credit_note'];

export interface DocumentQuery {
  readonly kind: NumberedKind;
  readonly ids?: readonly string[];
  /** The provider's document numbers (a supplier bill's is the supplier's invoice number). */
  readonly numbers?: readonly string[];
  /** References as Ledgerport sends them (Xero `Reference`; QuickBooks `PrivateNote` "Reference …"). */
  readonly references?: readonly string[];
  /** Issue dates, inclusive, YYYY-MM-DD. */
  readonly dateFrom?: string;
  readonly dateTo?: string;
}

/** Where a document stands at the provider, in provider-neutral words. */
export type ProviderDocumentState = 'draft' | 'open' | 'paid' | 'voided' | 'deleted';

/** A sales invoice, supplier bill or credit note as the provider holds it. */
export interface ProviderDocument {
  readonly providerId: string;
  readonly kind: NumberedKind;
  readonly number: string | null;
  readonly reference: string | null;
  readonly contactName: string | null;
  readonly issueDate: string | null;
  readonly currency: string | null;
  /** Decimal string with 2 places. */
  readonly total: string | null;
  /** In the provider's words (Xero AUTHORISED, QuickBooks Open, …). */
  readonly status: string;
  readonly state: ProviderDocumentState;
  /** Xero UpdatedDateUTC, QuickBooks MetaData.LastUpdatedTime. */
  readonly updatedAt: Date | null;
}

/** What changed at the provider since a time, for payments in. */
export interface PaymentChanges {
  /** Invoices changed, and those a changed payment is applied to. */
  readonly invoiceIds: readonly string[];
  /** Payments deleted at the provider. */
  readonly deletedPaymentIds: readonly string[];
  /** Where the next poll starts: the newest change seen when the answer was cut at the provider's limit, else `since` for the next window. */
  readonly next: Date;
  /** The provider cut the answer at its limit: poll again from `next` at once. */
  readonly more: boolean;
}

/** A sales invoice's payment state at the provider. */
export interface ProviderInvoiceState {
  readonly providerId: string;
  readonly providerStatus: string;
  readonly total: string;
  readonly amountPaid: string;
  readonly amountDue: string;
  /** Every payment (and credit allocation) applied to it, with all of each payment's allocations. */
  readonly payments: readonly ProviderPayment[];
}

/**
 * A payment received at the provider. `allocations` names every invoice it is applied to
 * (one for a Xero payment, one or several for a QuickBooks Payment or a Xero batch payment);
 * `unapplied` is what is left as credit (QuickBooks unapplied amount, Xero overpayment).
 */
export interface ProviderPayment {
  readonly providerId: string;
  readonly date: string;
  readonly amount: string;
  readonly currency: string | null;
  readonly reference: string | null;
  readonly allocations: readonly { readonly providerInvoiceId: string; readonly amount: string }[];
  readonly unapplied: string;
  readonly updatedAt: Date | null;
}
