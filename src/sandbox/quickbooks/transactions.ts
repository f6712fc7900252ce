// Invoice, Bill and PurchaseOrder: line validation, tax and totals as QuickBooks computes them.
import { DETAIL_FIELDS, LINE_FIELDS, LINE_TYPES, unknownField } from './fields.ts';
import * as D from '../shared/decimal.ts';
import { addDays, err, isDate, qboDate, QboError } from './qbo-format.ts';
import { isObject, numberField, ref, refValue, resolveRef } from './refs.ts';
import { currencyOf } from './seed.ts';
import { table } from './store.ts';
import type { CompanyState } from './store.ts';
import type { Json, JsonObject } from './types.ts';

export type TxnEntity = 'Invoice' | 'Bill' | 'PurchaseOrder' | 'CreditMemo' | 'RefundReceipt';

/** Sales transactions: a customer, item lines, the tax codes' sales rates. */
export const SALES_TXNS = new Set<TxnEntity>(['Invoice', 'CreditMemo', 'RefundReceipt']);
const BANK_TYPES = new Set(['Bank', 'Other Current Asset', 'Credit Card']);

const EXPENSE_TYPES = new Set(['Expense', 'Cost of Goods Sold', 'Other Expense']);
const TAX_MODES = new Set(['TaxExcluded', 'TaxInclusive', 'NotApplicable']);

export interface BuiltLine { line: JsonObject; amount: number; taxCodeId?: string }

const ZERO: D.Dec = { n: 0n, scale: 0 };
const HUNDRED: D.Dec = { n: 100n, scale: 0 };
const HALF_CENT: D.Dec = { n: 5n, scale: 3 };

function buildLine(s: CompanyState, entity: TxnEntity, raw: Json, i: number, taxMode: string): BuiltLine | undefined {
  if (!isObject(raw)) throw err.invalid('Line', 'must be an object');
  for (const k of Object.keys(raw)) {
    if (!LINE_FIELDS.has(k)) { const u = unknownField('Line', k); throw new QboError(u.code, u.message, u.detail, k); }
  }
  const dt = raw.DetailType;
  if (typeof dt !== 'string') throw err.required('Line.DetailType');
  if (!LINE_TYPES[entity]?.has(dt)) throw err.invalid('DetailType', `${dt} is not supported on ${entity} lines`);
  if (dt === 'SubTotalLineDetail') return undefined;
  const base: JsonObject = { Id: String(i + 1), LineNum: i + 1 };
  if (typeof raw.Description === 'string') base.Description = raw.Description;
  if (dt === 'DescriptionOnly') {
    return { line: { ...base, Amount: 0, DetailType: dt, DescriptionLineDetail: isObject(raw.DescriptionLineDetail) ? raw.DescriptionLineDetail : {} }, amount: 0 };
  }
  const detail = raw[dt];
  if (!isObject(detail)) throw err.required(`Line.${dt}`);
  for (const k of Object.keys(detail)) {
    if (!DETAIL_FIELDS[dt]?.has(k)) { const u = unknownField(dt, k); throw new QboError(u.code, u.message, u.detail, k); }
  }
  const amount = numberField(raw.Amount, 'Line.Amount');
  if (amount === undefined) throw err.required('Line.Amount');
  const out: JsonObject = { ...detail };
  if (dt === 'AccountBasedExpenseLineDetail') {
    const acc = resolveRef(s, 'Account', 'AccountBasedExpenseLineDetail.AccountRef', detail.AccountRef);
    if (!EXPENSE_TYPES.has(String(acc.data.AccountType))) {
      throw err.business(`Account "${String(acc.data.Name)}" (${String(acc.data.AccountType)}) cannot be used on an expense line. Choose an Expense or Cost of Goods Sold account.`, 'AccountRef');
    }
    out.AccountRef = ref(acc);
  } else {
    const item = resolveRef(s, 'Item', `${dt}.ItemRef`, detail.ItemRef);
    out.ItemRef = ref(item);
    const qty = numberField(detail.Qty, `${dt}.Qty`);
    const price = numberField(detail.UnitPrice, `${dt}.UnitPrice`);
    // Exact, as QuickBooks' decimals are: Qty × UnitPrice rounded to cents must give Amount.
    if (qty !== undefined && price !== undefined && D.cmp(D.abs(D.sub(D.round(D.mul(D.dec(qty), D.dec(price)), 2), D.dec(amount))), HALF_CENT) > 0) {
      throw new QboError('6070', 'Amount is not equal to UnitPrice * Qty', `Amount is not equal to UnitPrice * Qty. Supplied value:${amount}`, 'Line.Amount');
    }
    if (dt === 'SalesItemLineDetail' && item.data.IncomeAccountRef) out.ItemAccountRef = item.data.IncomeAccountRef;
  }
  if (dt !== 'SalesItemLineDetail') {
    out.BillableStatus = detail.BillableStatus ?? 'NotBillable';
    if (detail.CustomerRef !== undefined) out.CustomerRef = ref(resolveRef(s, 'Customer', `${dt}.CustomerRef`, detail.CustomerRef));
  }
  let taxCodeId: string | undefined;
  if (detail.TaxCodeRef !== undefined) {
    taxCodeId = resolveRef(s, 'TaxCode', `${dt}.TaxCodeRef`, detail.TaxCodeRef).Id;
    out.TaxCodeRef = { value: taxCodeId };
  } else if (s.company.country !== 'US' && taxMode !== 'NotApplicable') {
    throw err.business('Make sure all your transactions have a VAT/GST rate before you save (TaxCodeRef is missing on a line).', 'TaxCodeRef');
  }
  const rounded = D.num(D.round(D.dec(amount), 2));
  return { line: { ...base, Amount: rounded, DetailType: dt, [dt]: out }, amount: rounded, ...(taxCodeId ? { taxCodeId } : {}) };
}

/**
 * Tax as QuickBooks Online computes it outside the US: line by line, each line's tax at its
 * TaxCode's rate(s) rounded to 2 places (TaxExcluded: on top of the amount; TaxInclusive:
 * contained in it), then summed per rate into TaxLine and TotalTax. (Per line, not per rate
 * total: 31 lines of 1.59 at 12% give 9.71 of tax in QuickBooks, not 12% of 81.09 = 9.73.)
 */
function computeTax(s: CompanyState, entity: TxnEntity, lines: BuiltLine[], mode: string, given: Json | undefined): { detail: JsonObject; total: number } {
  const net = D.sum(lines.map((l) => D.dec(l.amount)));
  if (s.company.country === 'US') {
    const tax = D.round(D.dec(numberField(isObject(given) ? given.TotalTax : undefined, 'TxnTaxDetail.TotalTax') ?? 0), 2);
    const detail: JsonObject = { TotalTax: D.num(tax) };
    if (isObject(given) && given.TxnTaxCodeRef !== undefined) detail.TxnTaxCodeRef = given.TxnTaxCodeRef;
    return { detail, total: D.num(D.round(D.add(net, tax), 2)) };
  }
  if (mode === 'NotApplicable') return { detail: { TotalTax: 0 }, total: D.num(D.round(net, 2)) };
  const byRate = new Map<string, { rate: D.Dec; base: D.Dec; tax: D.Dec }>();
  for (const l of lines) {
    if (!l.taxCodeId) continue;
    const code = table(s, 'TaxCode').get(l.taxCodeId);
    const list = code?.data[SALES_TXNS.has(entity) ? 'SalesTaxRateList' : 'PurchaseTaxRateList'];
    const details = isObject(list) && Array.isArray(list.TaxRateDetail) ? list.TaxRateDetail : [];
    for (const d of details) {
      const rateId = isObject(d) ? refValue(d.TaxRateRef) : undefined;
      const rate = rateId ? table(s, 'TaxRate').get(rateId) : undefined;
      if (!rateId || !rate) continue;
      const entry = byRate.get(rateId) ?? { rate: D.dec(Number(rate.data.RateValue ?? 0)), base: ZERO, tax: ZERO };
      const amount = D.dec(l.amount);
      const divisor = mode === 'TaxInclusive' ? D.add(HUNDRED, entry.rate) : HUNDRED;
      const lineTax = divisor.n === 0n ? ZERO : D.divRound(D.mul(amount, entry.rate), divisor, 2);
      byRate.set(rateId, { rate: entry.rate, base: D.add(entry.base, amount), tax: D.add(entry.tax, lineTax) });
    }
  }
  let totalTax = ZERO;
  const taxLines: JsonObject[] = [];
  for (const [rateId, { rate, base, tax }] of byRate) {
    totalTax = D.add(totalTax, tax);
    taxLines.push({ Amount: D.num(tax), DetailType: 'TaxLineDetail', TaxLineDetail: {
      TaxRateRef: { value: rateId }, PercentBased: true, TaxPercent: D.num(rate),
      NetAmountTaxable: D.num(D.round(mode === 'TaxInclusive' ? D.sub(base, tax) : base, 2)) } });
  }
  return { detail: { TotalTax: D.num(totalTax), TaxLine: taxLines }, total: D.num(D.round(mode === 'TaxInclusive' ? net : D.add(net, totalTax), 2)) };
}

/**
 * A transaction's lines, tax and total from a write body, as QuickBooks computes them
 * (validating lines and tax codes, not the party, currency or dates); throws QboError.
 */
export function computeTransaction(s: CompanyState, entity: TxnEntity, d: JsonObject): { mode: string; lines: BuiltLine[]; tax: { detail: JsonObject; total: number } } {
  const mode = typeof d.GlobalTaxCalculation === 'string' ? d.GlobalTaxCalculation : 'TaxExcluded';
  if (!TAX_MODES.has(mode)) throw err.invalid('GlobalTaxCalculation', `${mode} is not one of TaxExcluded, TaxInclusive, NotApplicable`);
  if (!Array.isArray(d.Line)) throw err.required('Line');
  const lines = d.Line.map((l, i) => buildLine(s, entity, l, i, mode)).filter((l): l is BuiltLine => l !== undefined);
  if (lines.length === 0) throw err.required('Line');
  lines.forEach((l, i) => { l.line.Id = String(i + 1); l.line.LineNum = i + 1; });
  return { mode, lines, tax: computeTax(s, entity, lines, mode, d.TxnTaxDetail) };
}

function docNumber(s: CompanyState, entity: TxnEntity, d: JsonObject, selfId: string | undefined): string | undefined {
  const given = d.DocNumber;
  if (given !== undefined && typeof given !== 'string') throw err.invalid('DocNumber', 'must be a string');
  if (given !== undefined && given.length > 21) {
    throw new QboError('2050', 'String length specified does not match the supported length',
      `String length is either shorter or longer than supported by specification. Min:0 Max:21 supported. Supplied length:${given.length}`, 'DocNumber');
  }
  if (entity !== 'Invoice' && entity !== 'PurchaseOrder') return given;
  const used = (n: string): string | undefined =>
    [...table(s, entity).values()].find((r) => !r.deleted && r.Id !== selfId && r.data.DocNumber === n)?.Id;
  if (given !== undefined && given !== '') {
    const other = entity === 'Invoice' ? used(given) : undefined;
    if (other) {
      throw new QboError('6140', 'Duplicate Document Number Error',
        `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${given} is assigned to TxnType=${entity} with TxnId=${other}`, 'DocNumber');
    }
    return given;
  }
  let n = s.nextDocNumber.get(entity) ?? 1001;
  while (used(String(n))) n++;
  s.nextDocNumber.set(entity, n + 1);
  return String(n);
}

/** Full stored data for a transaction from a (merged) write body; throws QboError on validation failures. */
export function buildTransaction(s: CompanyState, entity: TxnEntity, d: JsonObject, selfId: string | undefined, nowMs: number): JsonObject {
  const party: JsonObject = SALES_TXNS.has(entity)
    ? { CustomerRef: ref(resolveRef(s, 'Customer', 'CustomerRef', d.CustomerRef)) }
    : { VendorRef: ref(resolveRef(s, 'Vendor', 'VendorRef', d.VendorRef)) };
  const cur = currencyOf(s.company.country);
  const currency = refValue(d.CurrencyRef);
  if (currency !== undefined && currency !== cur.code) {
    throw err.business(`Multicurrency is not enabled: the transaction currency ${currency} must be the home currency ${cur.code}.`, 'CurrencyRef');
  }
  const { mode, lines, tax } = computeTransaction(s, entity, d);
  const txnDate = d.TxnDate ?? qboDate(nowMs);
  if (!isDate(txnDate)) throw err.invalid('TxnDate', 'is not a valid date (yyyy-MM-dd)');
  if (d.DueDate !== undefined && !isDate(d.DueDate)) throw err.invalid('DueDate', 'is not a valid date (yyyy-MM-dd)');
  if (entity === 'Bill' && Array.isArray(d.LinkedTxn)) {
    for (const l of d.LinkedTxn) {
      if (isObject(l) && l.TxnType === 'PurchaseOrder' && !table(s, 'PurchaseOrder').get(String(l.TxnId))) throw err.badRef('LinkedTxn', String(l.TxnId));
    }
  }
  const number = docNumber(s, entity, d, selfId);
  const out: JsonObject = {
    ...d, ...party, TxnDate: txnDate, CurrencyRef: { value: cur.code, name: cur.name },
    Line: SALES_TXNS.has(entity) ? [...lines.map((l) => l.line), { Amount: D.num(D.round(D.sum(lines.map((l) => D.dec(l.amount))), 2)), DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} }] : lines.map((l) => l.line),
    TxnTaxDetail: tax.detail, TotalAmt: tax.total,
  };
  if (number !== undefined) out.DocNumber = number;
  if (s.company.country !== 'US') out.GlobalTaxCalculation = mode;
  if (entity === 'CreditMemo') {
    // What is applied to invoices is taken off by links.ts (Balance and RemainingCredit).
    Object.assign(out, { Balance: tax.total, RemainingCredit: tax.total, ApplyTaxAfterDiscount: false,
      PrintStatus: d.PrintStatus ?? 'NeedToPrint', EmailStatus: d.EmailStatus ?? 'NotSet' });
  } else if (entity === 'RefundReceipt') {
    // Money paid out at once: it needs the account it is paid from.
    if (d.DepositToAccountRef === undefined) throw err.required('DepositToAccountRef');
    const acc = resolveRef(s, 'Account', 'DepositToAccountRef', d.DepositToAccountRef);
    if (!BANK_TYPES.has(String(acc.data.AccountType))) {
      throw err.business(`Account "${String(acc.data.Name)}" (${String(acc.data.AccountType)}) cannot be used to pay a refund. Choose a bank account.`, 'DepositToAccountRef');
    }
    Object.assign(out, { DepositToAccountRef: ref(acc), Balance: 0, ApplyTaxAfterDiscount: false, PrintStatus: d.PrintStatus ?? 'NotSet' });
  } else if (entity === 'Invoice') {
    Object.assign(out, { DueDate: d.DueDate ?? addDays(txnDate, 30), Balance: tax.total, Deposit: 0, ApplyTaxAfterDiscount: false,
      PrintStatus: d.PrintStatus ?? 'NeedToPrint', EmailStatus: d.EmailStatus ?? 'NotSet' });
  } else {
    const ap = table(s, 'Account').get('33');
    if (d.APAccountRef !== undefined) out.APAccountRef = ref(resolveRef(s, 'Account', 'APAccountRef', d.APAccountRef));
    else if (ap) out.APAccountRef = ref(ap);
  }
  if (entity === 'Bill') Object.assign(out, { DueDate: d.DueDate ?? txnDate, Balance: tax.total });
  if (entity === 'PurchaseOrder') {
    const status = d.POStatus ?? 'Open';
    if (status !== 'Open' && status !== 'Closed') throw err.invalid('POStatus', 'must be Open or Closed');
    Object.assign(out, { POStatus: status, EmailStatus: d.EmailStatus ?? 'NotSet' });
  }
  return out;
}
