// Payment validation: money received from a customer, applied to that customer's invoices (and
// credit memos, which is how QuickBooks applies a credit memo to an invoice: a Payment whose lines
// link both, usually with TotalAmt 0). What is not applied stays on it as UnappliedAmt (a credit).
import { appliedTo } from './links.ts';
import type { LinkType } from './links.ts';
import { err, isDate, qboDate, QboError, round2 } from './qbo-format.ts';
import { isObject, numberField, ref, refValue, resolveRef } from './refs.ts';
import { currencyOf } from './seed.ts';
import { table } from './store.ts';
import type { CompanyState } from './store.ts';
import type { JsonObject } from './types.ts';

const DEPOSIT_TYPES = new Set(['Bank', 'Other Current Asset']);
const UNDEPOSITED_FUNDS = '4';
const LINE_KEYS = new Set(['Id', 'LineNum', 'Amount', 'LinkedTxn', 'LineEx', 'Description']);
const WHAT: Record<LinkType, string> = { Invoice: 'invoice', CreditMemo: 'credit memo' };

/** Modelled on QuickBooks' 6000 business validation errors; the exact wording of Intuit's message is not verified. */
const overApplied = (type: LinkType, id: string, amount: number, open: number): QboError =>
  err.business(`The amount applied to ${WHAT[type]} ${id} (${amount.toFixed(2)}) is more than its open ${type === 'Invoice' ? 'balance' : 'credit'} (${open.toFixed(2)}).`, 'Line.Amount');

/** Full stored data for a Payment from a (merged) write body; throws QboError on validation failures. */
export function buildPayment(s: CompanyState, d: JsonObject, selfId: string | undefined, nowMs: number): JsonObject {
  const customer = resolveRef(s, 'Customer', 'CustomerRef', d.CustomerRef);
  const total = numberField(d.TotalAmt, 'TotalAmt');
  if (total === undefined) throw err.required('TotalAmt');
  if (total < 0) throw err.invalid('TotalAmt', 'must not be negative');
  const cur = currencyOf(s.company.country);
  const currency = refValue(d.CurrencyRef);
  if (currency !== undefined && currency !== cur.code) {
    throw err.business(`Multicurrency is not enabled: the transaction currency ${currency} must be the home currency ${cur.code}.`, 'CurrencyRef');
  }
  const txnDate = d.TxnDate ?? qboDate(nowMs);
  if (!isDate(txnDate)) throw err.invalid('TxnDate', 'is not a valid date (yyyy-MM-dd)');
  if (d.PaymentRefNum !== undefined && (typeof d.PaymentRefNum !== 'string' || d.PaymentRefNum.length > 21)) {
    throw new QboError('2050', 'String length specified does not match the supported length',
      `String length is either shorter or longer than supported by specification. Min:0 Max:21 supported. Supplied length:${String(d.PaymentRefNum).length}`, 'PaymentRefNum');
  }
  const depositRec = d.DepositToAccountRef !== undefined
    ? resolveRef(s, 'Account', 'DepositToAccountRef', d.DepositToAccountRef)
    : table(s, 'Account').get(UNDEPOSITED_FUNDS);
  if (depositRec && !DEPOSIT_TYPES.has(String(depositRec.data.AccountType))) {
    throw err.business(`Account "${String(depositRec.data.Name)}" (${String(depositRec.data.AccountType)}) cannot receive a payment. Choose a bank account or Undeposited Funds.`, 'DepositToAccountRef');
  }

  const raw = d.Line === undefined ? [] : d.Line;
  if (!Array.isArray(raw)) throw err.invalid('Line', 'must be a list');
  const pending = new Map<string, number>();
  let invoiced = 0;
  let credited = 0;
  const lines = raw.map((l, i): JsonObject => {
    if (!isObject(l)) throw err.invalid('Line', 'must be an object');
    for (const k of Object.keys(l)) if (!LINE_KEYS.has(k)) throw err.invalid(`Line.${k}`, 'is not a Payment line property');
    const amount = numberField(l.Amount, 'Line.Amount');
    if (amount === undefined) throw err.required('Line.Amount');
    if (amount < 0) throw err.invalid('Line.Amount', 'must not be negative');
    const link = Array.isArray(l.LinkedTxn) && isObject(l.LinkedTxn[0]) ? l.LinkedTxn[0] : undefined;
    if (!link) throw err.required('Line.LinkedTxn');
    const type = link.TxnType;
    if (type !== 'Invoice' && type !== 'CreditMemo') throw err.invalid('LinkedTxn.TxnType', `${String(type)} cannot be linked to a Payment (Invoice or CreditMemo)`);
    const id = String(link.TxnId ?? '');
    const target = table(s, type).get(id);
    if (!target || target.deleted) throw err.badRef('LinkedTxn.TxnId', id);
    if (target.voided) throw err.business(`${type} ${id} has been voided; a payment can't be applied to it.`, 'LinkedTxn');
    if (refValue(target.data.CustomerRef) !== customer.Id) {
      throw err.business(`${type} ${id} belongs to another customer; a payment can only be applied to the payer's own transactions.`, 'LinkedTxn');
    }
    const key = `${type}:${id}`;
    const open = round2(Number(target.data.TotalAmt ?? 0) - appliedTo(s, type, id, selfId).amount - (pending.get(key) ?? 0));
    if (amount > open + 0.005) throw overApplied(type, id, amount, open);
    pending.set(key, (pending.get(key) ?? 0) + amount);
    if (type === 'Invoice') invoiced += amount;
    else credited += amount;
    return { Amount: round2(amount), LineNum: i + 1, LinkedTxn: [{ TxnId: id, TxnType: type }] };
  });
  if (credited > invoiced + 0.005) {
    throw err.business(`The credits used (${credited.toFixed(2)}) are more than the amount applied to invoices (${invoiced.toFixed(2)}).`, 'Line');
  }
  const applied = round2(invoiced - credited);
  if (applied > total + 0.005) {
    throw err.business(`The amount applied to invoices (${applied.toFixed(2)}) is more than the payment amount (${total.toFixed(2)}) and the credits used.`, 'TotalAmt');
  }
  return {
    ...d,
    CustomerRef: ref(customer),
    TxnDate: txnDate,
    CurrencyRef: { value: cur.code, name: cur.name },
    TotalAmt: round2(total),
    UnappliedAmt: round2(total - applied),
    ...(depositRec ? { DepositToAccountRef: { value: depositRec.Id, name: String(depositRec.data.Name ?? '') } } : {}),
    ProcessPayment: false,
    Line: lines,
  };
}
