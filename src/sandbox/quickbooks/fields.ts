// Properties QuickBooks accepts on writes. Anything else is rejected with error 2010, as the real
// API's strict JSON binding does ("Unrecognized field ... not marked as ignorable").
import type { EntityName } from './types.ts';

/** Read-only properties a client may echo back from a read; accepted and ignored. */
export const READ_ONLY = new Set(['Id', 'SyncToken', 'MetaData', 'domain', 'sparse', 'status', 'FullyQualifiedName', 'TotalAmt',
  'Balance', 'HomeBalance', 'HomeTotalAmt', 'BalanceWithJobs', 'InvoiceLink', 'DeliveryInfo', 'Level', 'IsProject', 'UnappliedAmt',
  'RemainingCredit']);

const PERSON = ['Title', 'GivenName', 'MiddleName', 'FamilyName', 'Suffix', 'CompanyName', 'DisplayName', 'PrintOnCheckName', 'Active',
  'PrimaryEmailAddr', 'PrimaryPhone', 'Mobile', 'Fax', 'AlternatePhone', 'WebAddr', 'BillAddr', 'Notes', 'CurrencyRef',
  'GSTIN', 'GSTRegistrationType', 'BusinessNumber', 'Source', 'OpenBalanceDate'];

const TXN = ['Line', 'DocNumber', 'TxnDate', 'DueDate', 'CurrencyRef', 'ExchangeRate', 'PrivateNote', 'GlobalTaxCalculation',
  'TxnTaxDetail', 'DepartmentRef', 'LinkedTxn', 'SalesTermRef', 'TransactionLocationType', 'RecurDataRef', 'ProjectRef', 'TxnSource'];

export const WRITABLE: Partial<Record<EntityName, Set<string>>> = {
  Customer: new Set([...PERSON, 'ShipAddr', 'Taxable', 'Job', 'BillWithParent', 'ParentRef', 'PreferredDeliveryMethod',
    'PaymentMethodRef', 'ResaleNum', 'PrimaryTaxIdentifier', 'SecondaryTaxIdentifier', 'DefaultTaxCodeRef', 'TaxExemptionReasonId',
    'ARAccountRef', 'CustomerTypeRef', 'ClientEntityId']),
  Vendor: new Set([...PERSON, 'OtherContactInfo', 'TaxIdentifier', 'AcctNum', 'Vendor1099', 'TermRef', 'BillRate', 'CostRate',
    'TaxReportingBasis', 'APAccountRef', 'HasTPAR', 'T4AEligible', 'T5018Eligible', 'VendorPaymentBankDetail', 'ContactName']),
  Invoice: new Set([...TXN, 'CustomerRef', 'CustomerMemo', 'BillEmail', 'BillEmailCc', 'BillEmailBcc', 'BillAddr', 'ShipAddr',
    'ShipFromAddr', 'ShipDate', 'ShipMethodRef', 'TrackingNum', 'ApplyTaxAfterDiscount', 'PrintStatus', 'EmailStatus',
    'AllowOnlineCreditCardPayment', 'AllowOnlineACHPayment', 'AllowIPNPayment', 'AllowOnlinePayment', 'ClassRef', 'CustomField',
    'Deposit', 'DepositToAccountRef', 'FreeFormAddress']),
  Bill: new Set([...TXN, 'VendorRef', 'APAccountRef', 'VendorAddr', 'IncludeInAnnualTPAR']),
  PurchaseOrder: new Set([...TXN, 'VendorRef', 'APAccountRef', 'POStatus', 'POEmail', 'EmailStatus', 'Memo', 'ShipAddr',
    'VendorAddr', 'ShipTo', 'ShipMethodRef', 'ClassRef', 'CustomField', 'PrintStatus']),
  CreditMemo: new Set([...TXN, 'CustomerRef', 'CustomerMemo', 'BillEmail', 'BillAddr', 'ShipAddr', 'ApplyTaxAfterDiscount',
    'PrintStatus', 'EmailStatus', 'ClassRef', 'CustomField']),
  RefundReceipt: new Set([...TXN, 'CustomerRef', 'CustomerMemo', 'BillEmail', 'BillAddr', 'ShipAddr', 'ApplyTaxAfterDiscount',
    'PrintStatus', 'DepositToAccountRef', 'PaymentMethodRef', 'PaymentRefNum', 'ClassRef', 'CustomField']),
  // Payment lines are links to invoices and credit memos, not sales lines (see payments.ts).
  Payment: new Set(['Line', 'TxnDate', 'CustomerRef', 'TotalAmt', 'DepositToAccountRef', 'PaymentMethodRef', 'PaymentRefNum',
    'PrivateNote', 'CurrencyRef', 'ExchangeRate', 'ARAccountRef', 'ProcessPayment', 'TxnSource', 'CreditCardPayment', 'TransactionLocationType']),
  Item: new Set(['Name', 'Sku', 'Description', 'Active', 'Type', 'Taxable', 'UnitPrice', 'PurchaseCost', 'PurchaseDesc',
    'IncomeAccountRef', 'ExpenseAccountRef', 'AssetAccountRef', 'TrackQtyOnHand', 'QtyOnHand', 'InvStartDate', 'SalesTaxCodeRef',
    'PurchaseTaxCodeRef', 'SubItem', 'ParentRef', 'ClassRef']),
};

export const LINE_FIELDS = new Set(['Id', 'LineNum', 'Description', 'Amount', 'DetailType', 'SalesItemLineDetail',
  'AccountBasedExpenseLineDetail', 'ItemBasedExpenseLineDetail', 'DescriptionLineDetail', 'SubTotalLineDetail', 'LinkedTxn',
  'ProjectRef', 'Received']);

export const DETAIL_FIELDS: Record<string, Set<string>> = {
  SalesItemLineDetail: new Set(['ItemRef', 'UnitPrice', 'Qty', 'TaxCodeRef', 'ServiceDate', 'ClassRef', 'ItemAccountRef',
    'TaxInclusiveAmt', 'DiscountRate', 'DiscountAmt', 'MarkupInfo']),
  AccountBasedExpenseLineDetail: new Set(['AccountRef', 'TaxCodeRef', 'BillableStatus', 'CustomerRef', 'ClassRef', 'TaxAmount',
    'TaxInclusiveAmt', 'MarkupInfo']),
  ItemBasedExpenseLineDetail: new Set(['ItemRef', 'UnitPrice', 'Qty', 'TaxCodeRef', 'BillableStatus', 'CustomerRef', 'ClassRef',
    'TaxInclusiveAmt', 'PriceLevelRef', 'MarkupInfo']),
};

/** Which line detail types each transaction accepts. */
export const LINE_TYPES: Partial<Record<EntityName, Set<string>>> = {
  Invoice: new Set(['SalesItemLineDetail', 'DescriptionOnly', 'SubTotalLineDetail']),
  CreditMemo: new Set(['SalesItemLineDetail', 'DescriptionOnly', 'SubTotalLineDetail']),
  RefundReceipt: new Set(['SalesItemLineDetail', 'DescriptionOnly', 'SubTotalLineDetail']),
  Bill: new Set(['AccountBasedExpenseLineDetail', 'ItemBasedExpenseLineDetail']),
  PurchaseOrder: new Set(['AccountBasedExpenseLineDetail', 'ItemBasedExpenseLineDetail']),
};

export function unknownField(entity: string, field: string): { code: string; message: string; detail: string } {
  return {
    code: '2010',
    message: 'Request has invalid or unsupported property',
    detail: `Property Name:Unrecognized field "${field}" (class com.intuit.schema.finance.v3.${entity}), not marked as ignorable specified is unsupported or invalid`,
  };
}
