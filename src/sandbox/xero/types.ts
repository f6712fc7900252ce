// Shared types for the Xero sandbox. Entity objects use Xero's own PascalCase
// field names so they can be returned over the wire with little reshaping.
import type { JsonObject } from '../shared/json.ts';
import type { BaseRequestLogEntry, BaseTokenRequestLogEntry } from '../shared/request-log.ts';

export type { Json, JsonObject } from '../shared/json.ts';
export type { SandboxClock } from '../shared/clock.ts';

export type Region = 'UK' | 'AU' | 'NZ' | 'US';

export interface Account {
  AccountID: string;
  Code: string;
  Name: string;
  Type: string;
  TaxType: string;
  Status: 'ACTIVE' | 'ARCHIVED' | 'DELETED';
  Class: 'ASSET' | 'EQUITY' | 'EXPENSE' | 'LIABILITY' | 'REVENUE';
  Description?: string;
  SystemAccount?: string;
  BankAccountNumber?: string;
  BankAccountType?: string;
  CurrencyCode?: string;
  EnablePaymentsToAccount: boolean;
  ShowInExpenseClaims: boolean;
  ReportingCode: string;
  ReportingCodeName: string;
  HasAttachments: boolean;
  AddToWatchlist: boolean;
  UpdatedDateUTC: string;
}

export interface TaxComponent {
  Name: string;
  Rate: number;
  IsCompound: boolean;
  IsNonRecoverable: boolean;
}

export interface TaxRate {
  Name: string;
  TaxType: string;
  ReportTaxType: string;
  CanApplyToAssets: boolean;
  CanApplyToEquity: boolean;
  CanApplyToExpenses: boolean;
  CanApplyToLiabilities: boolean;
  CanApplyToRevenue: boolean;
  DisplayTaxRate: number;
  EffectiveRate: number;
  Status: 'ACTIVE' | 'DELETED' | 'ARCHIVED' | 'PENDING';
  TaxComponents: TaxComponent[];
}

export interface Organisation {
  OrganisationID: string;
  APIKey: string;
  Name: string;
  LegalName: string;
  PaysTax: boolean;
  Version: Region;
  OrganisationType: string;
  BaseCurrency: string;
  CountryCode: string;
  IsDemoCompany: boolean;
  OrganisationStatus: string;
  TaxNumber: string;
  FinancialYearEndDay: number;
  FinancialYearEndMonth: number;
  SalesTaxBasis: string;
  SalesTaxPeriod: string;
  DefaultSalesTax: string;
  DefaultPurchasesTax: string;
  CreatedDateUTC: string;
  Timezone: string;
  OrganisationEntityType: string;
  ShortCode: string;
  Class: string;
  Edition: string;
  LineOfBusiness: string;
  Addresses: JsonObject[];
  Phones: JsonObject[];
  ExternalLinks: JsonObject[];
  PaymentTerms: JsonObject;
}

export interface ContactRecord {
  ContactID: string;
  ContactStatus: 'ACTIVE' | 'ARCHIVED' | 'GDPRREQUEST';
  Name: string;
  /** Writable fields other than the above, as sent by the client. */
  fields: JsonObject;
  IsSupplier: boolean;
  IsCustomer: boolean;
  updatedMs: number;
}

export interface LineItemRecord {
  LineItemID: string;
  Description: string;
  Quantity: number;
  UnitAmount: number;
  AccountCode?: string;
  ItemCode?: string;
  TaxType: string;
  TaxAmount: number;
  LineAmount: number;
  DiscountRate?: number;
  DiscountAmount?: number;
  Tracking: JsonObject[];
}

export type InvoiceType = 'ACCREC' | 'ACCPAY';
export type InvoiceStatus = 'DRAFT' | 'SUBMITTED' | 'AUTHORISED' | 'PAID' | 'VOIDED' | 'DELETED';
export type LineAmountTypes = 'Exclusive' | 'Inclusive' | 'NoTax';

export interface InvoiceRecord {
  InvoiceID: string;
  Type: InvoiceType;
  InvoiceNumber: string;
  Reference: string;
  ContactID: string;
  dateMs: number;
  dueDateMs?: number;
  Status: InvoiceStatus;
  LineAmountTypes: LineAmountTypes;
  LineItems: LineItemRecord[];
  SubTotal: number;
  TotalTax: number;
  Total: number;
  TotalDiscount: number;
  AmountPaid: number;
  CurrencyCode: string;
  CurrencyRate: number;
  SentToContact: boolean;
  Url?: string;
  BrandingThemeID?: string;
  updatedMs: number;
}

export type CreditNoteType = 'ACCRECCREDIT' | 'ACCPAYCREDIT';

/** A credit note; RemainingCredit and PAID are derived from its allocations and refunds. */
export interface CreditNoteRecord {
  CreditNoteID: string;
  Type: CreditNoteType;
  CreditNoteNumber: string;
  Reference: string;
  ContactID: string;
  dateMs: number;
  dueDateMs?: number;
  Status: InvoiceStatus;
  LineAmountTypes: LineAmountTypes;
  LineItems: LineItemRecord[];
  SubTotal: number;
  TotalTax: number;
  Total: number;
  TotalDiscount: number;
  CurrencyCode: string;
  CurrencyRate: number;
  SentToContact: boolean;
  updatedMs: number;
}

/** Part of a credit note applied to an invoice (PUT /CreditNotes/{id}/Allocations). */
export interface AllocationRecord {
  AllocationID: string;
  CreditNoteID: string;
  InvoiceID: string;
  Amount: number;
  dateMs: number;
}

/**
 * One Xero payment: applied to exactly one invoice, or paid out of a credit note (a refund).
 * Payments are never changed, only deleted (Status DELETED), and then stop counting.
 */
export interface PaymentRecord {
  PaymentID: string;
  target: { kind: 'invoice' | 'creditnote'; id: string };
  PaymentType: 'ACCRECPAYMENT' | 'ACCPAYPAYMENT' | 'ARCREDITPAYMENT' | 'APCREDITPAYMENT';
  AccountCode: string;
  dateMs: number;
  Amount: number;
  Reference: string;
  Status: 'AUTHORISED' | 'DELETED';
  CurrencyCode: string;
  updatedMs: number;
}

/** Money received beyond what was owed: a RECEIVE-OVERPAYMENT bank transaction leaves this credit. */
export interface OverpaymentRecord {
  OverpaymentID: string;
  BankTransactionID: string;
  Type: 'RECEIVE-OVERPAYMENT';
  ContactID: string;
  AccountCode: string;
  dateMs: number;
  Reference: string;
  LineItems: { Description: string; LineAmount: number; LineItemID: string }[];
  Total: number;
  RemainingCredit: number;
  CurrencyCode: string;
  Status: 'AUTHORISED' | 'PAID' | 'VOIDED';
  updatedMs: number;
}

export type PurchaseOrderStatus = 'DRAFT' | 'SUBMITTED' | 'AUTHORISED' | 'BILLED' | 'DELETED';

export interface PurchaseOrderRecord {
  PurchaseOrderID: string;
  PurchaseOrderNumber: string;
  Reference: string;
  ContactID: string;
  dateMs: number;
  deliveryDateMs?: number;
  expectedArrivalMs?: number;
  Status: PurchaseOrderStatus;
  LineAmountTypes: LineAmountTypes;
  LineItems: LineItemRecord[];
  SubTotal: number;
  TotalTax: number;
  Total: number;
  TotalDiscount: number;
  CurrencyCode: string;
  CurrencyRate: number;
  SentToContact: boolean;
  /** DeliveryAddress, AttentionTo, Telephone, DeliveryInstructions, BrandingThemeID as sent. */
  extra: Record<string, string>;
  updatedMs: number;
}

export interface RequestLogEntry extends BaseRequestLogEntry {
  tenantId?: string;
}

export type TokenRequestLogEntry = BaseTokenRequestLogEntry;

export interface ContractViolation {
  method: string;
  path: string;
  /** Schema the body was checked against, e.g. "Invoices". */
  schema?: string;
  kind: 'schema' | 'unknown-property' | 'json' | 'header';
  message: string;
  instancePath?: string;
  time: number;
}

export type RateLimitProblem = 'minute' | 'day' | 'concurrent' | 'appminute';

export interface RateLimits {
  concurrent: number;
  perMinute: number;
  perDay: number;
  appPerMinute: number;
}

export interface OrgStats {
  calls: number;
  rateLimited: number;
  byProblem: Record<RateLimitProblem, number>;
}
