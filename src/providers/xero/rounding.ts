// Xero's arithmetic, so a mapped document is known to total what the platform's does before it
// is sent (Xero's own advice in "Rounding in Xero": apply the same logic, add an adjustment).
//
// Xero computes each line as LineAmount = Quantity × UnitAmount × (100 − DiscountRate) / 100
// rounded to 2 places, its tax per line (Exclusive: LineAmount × rate, Inclusive: LineAmount ×
// rate / (100 + rate)) rounded to 2 places, and sums them; every summary amount has 2 decimal
// places whatever the currency. Quantity takes 4 decimals, UnitAmount 4 with unitdp=4 (which
// every Ledgerport write asks for). DiscountRate is taken on ACCREC invoices only (the contract:
// "ACCPAY invoices and credit notes in Xero do not support discounts").
import type { SalesInvoiceSource } from '../../ingest/ops-envelope.ts';
import {
  collapsedDescription, currencyDecimals, decimalNumber, decimalPlaces, documentTotals, formatUnits, lineGross, parseDecimal,
  reconcileTotal, toUnits, type TotalsLine,
} from '../../documents/totals.ts';

export const XERO_AMOUNT_PLACES = 2;
const QUANTITY_PLACES = 4;
const UNIT_AMOUNT_PLACES = 4;
/** Kept to what Xero's own screens take; a finer rate is folded into the unit amount instead. */
const DISCOUNT_RATE_PLACES = 2;

export interface XeroLineNumbers {
  description: string;
  quantity: number;
  unitAmount: number;
  discountRate?: number;
}

/** What Ledgerport did to make Xero's total the platform's: a rounding line of `amount`. */
export interface XeroAdjustment {
  readonly amount: string;
  readonly reason: string;
}

/**
 * A line's quantity, unit amount and discount as Xero can take them: as they are when they fit
 * (4 decimals of quantity and unit amount, a 2-decimal discount on a sales invoice), else with
 * the discount folded into the unit amount, else as one unit of the line's amount with the
 * quantity and price in the description (Xero's own advice for finer prices).
 */
export function xeroLineNumbers(line: TotalsLine & { description: string }, currency: string, discountsAllowed: boolean): XeroLineNumbers {
  const hasDiscount = line.discount_rate !== undefined && parseDecimal(line.discount_rate).n !== 0n;
  if (decimalPlaces(line.quantity) <= QUANTITY_PLACES && decimalPlaces(line.unit_price) <= UNIT_AMOUNT_PLACES) {
    const plain = { description: line.description, quantity: Number(line.quantity), unitAmount: Number(line.unit_price) };
    if (!hasDiscount) return discountsAllowed && line.discount_rate !== undefined ? { ...plain, discountRate: Number(line.discount_rate) } : plain;
    if (discountsAllowed && decimalPlaces(line.discount_rate!) <= DISCOUNT_RATE_PLACES) return { ...plain, discountRate: Number(line.discount_rate) };
    const folded = lineGross({ quantity: '1', unit_price: line.unit_price, discount_rate: line.discount_rate });
    if (decimalPlaces(folded) <= UNIT_AMOUNT_PLACES) return { ...plain, unitAmount: decimalNumber(folded) };
  }
  const places = currencyDecimals(currency);
  const amount = toUnits(lineGross(line), places);
  return { description: collapsedDescription(line.description, line), quantity: 1, unitAmount: Number(formatUnits(amount, places)) };
}

/** The line as Xero will compute it, in the platform rule's terms (numbers back to their decimal form). */
const asTotalsLine = (l: XeroLineNumbers): TotalsLine => ({
  quantity: String(l.quantity),
  unit_price: String(l.unitAmount),
  ...(l.discountRate !== undefined ? { discount_rate: String(l.discountRate) } : {}),
});

/** Xero's total for these lines, in hundredths. */
export function xeroTotalUnits(amountsAre: SalesInvoiceSource['amounts_are'], lines: readonly (XeroLineNumbers & { rate: number })[]): bigint {
  const totals = documentTotals(
    { currency: 'XXX', amounts_are: amountsAre, lines: lines.map(asTotalsLine) },
    { places: XERO_AMOUNT_PLACES, rateOf: (_line, i) => lines[i]!.rate },
  );
  return totals.total;
}

/**
 * The platform's total (each line at the rate of the tax type it is posted with) against what
 * Xero will compute for the mapped lines: nothing to do, a rounding line of `amount`, or the
 * reason the document cannot be sent.
 */
export function reconcileXeroLines(
  source: Pick<SalesInvoiceSource, 'currency' | 'amounts_are' | 'lines'>,
  lineItems: readonly (XeroLineNumbers & { taxType: string })[],
  rateOf: (taxType: string) => number,
  roundingAccount: string | null | undefined,
): { adjust?: { amount: number; reason: string } } | { error: string } {
  const rated = lineItems.map((l) => ({ ...l, rate: rateOf(l.taxType) }));
  const platform = documentTotals(source, { rateOf: (_line, i) => rated[i]!.rate });
  const xero = xeroTotalUnits(source.amounts_are, rated);
  const result = reconcileTotal({ provider: 'Xero', currency: source.currency, platform, providerTotal: xero, providerPlaces: XERO_AMOUNT_PLACES, roundingAccount });
  if (result.kind === 'matched') return {};
  if (result.kind === 'refuse') return { error: result.message };
  return {
    adjust: {
      amount: Number(result.amount),
      reason: `Xero's line-by-line rounding totals this document at ${formatUnits(xero, XERO_AMOUNT_PLACES)}, the platform at ${formatUnits(platform.total, platform.places)} ${source.currency}`,
    },
  };
}
