// QuickBooks Online's arithmetic, so a mapped document is known to total what the platform's
// does before it is sent.
//
// QuickBooks keeps a line's Amount to 2 places (whatever the currency), checks it against
// Qty × UnitPrice (error 6070 when they differ; Qty and UnitPrice take up to 7 decimals), and
// computes tax line by line: each line's tax at its TaxCode's rate, rounded to 2 places, summed
// per rate into TxnTaxDetail.TaxLine and TotalTax (TaxExcluded: on top of the amounts;
// TaxInclusive: contained in them; NotApplicable: none). TotalAmt is the amounts plus the tax
// (TaxExcluded) or the amounts (TaxInclusive, NotApplicable). QuickBooks has no line discount
// field: a discount is folded into the unit price.
import type { SalesInvoiceSource } from '../../ingest/ops-envelope.ts';
import {
  collapsedDescription, decimalNumber, decimalPlaces, documentTotals, formatUnits, lineGross, parseDecimal, pow10, reconcileTotal, roundDiv,
  toUnits, type Reconciliation, type TotalsLine,
} from '../../documents/totals.ts';
import type { DocumentToPush } from '../types.ts';

export const QBO_AMOUNT_PLACES = 2;
const PRICE_PLACES = 7;

/** "20", "20.0" and "20.00" name the same rate. */
export const rateKey = (rate: string | undefined) => String(Number(rate ?? 0));

export interface QboLineNumbers {
  readonly amount: number;
  readonly quantity: number;
  readonly unitPrice: number;
  /** Set when the line is sent as one unit of its amount (its quantity and price then in the text). */
  readonly description?: string;
}

/**
 * A line's Amount, Qty and UnitPrice as QuickBooks takes them: the amount to 2 places, the
 * quantity as it is and the unit price less the discount when it fits 7 decimals; else the
 * unit price that gives the amount (QuickBooks' own "averaged" rate); else one unit of the amount.
 */
export function quickBooksLineNumbers(line: TotalsLine & { description: string }): QboLineNumbers {
  const amountUnits = toUnits(lineGross(line), QBO_AMOUNT_PLACES);
  const amount = Number(formatUnits(amountUnits, QBO_AMOUNT_PLACES));
  const quantity = parseDecimal(line.quantity);
  if (decimalPlaces(quantity) <= PRICE_PLACES) {
    const unit = lineGross({ quantity: '1', unit_price: line.unit_price, discount_rate: line.discount_rate });
    // Qty × UnitPrice is then the line's exact amount, which rounds to Amount.
    if (decimalPlaces(unit) <= PRICE_PLACES) return { amount, quantity: Number(line.quantity), unitPrice: decimalNumber(unit) };
    if (quantity.n !== 0n) {
      const price = roundDiv(amountUnits * pow10(quantity.scale + PRICE_PLACES), pow10(QBO_AMOUNT_PLACES) * quantity.n);
      if (toUnits({ n: quantity.n * price, scale: quantity.scale + PRICE_PLACES }, QBO_AMOUNT_PLACES) === amountUnits) {
        return { amount, quantity: Number(line.quantity), unitPrice: decimalNumber({ n: price, scale: PRICE_PLACES }) };
      }
    }
  }
  return { amount, quantity: 1, unitPrice: amount, description: collapsedDescription(line.description, line) };
}

export interface QboLinePlan {
  readonly lines: readonly QboLineNumbers[];
  /** No line's rate has a tax code: the document goes as GlobalTaxCalculation NotApplicable. */
  readonly noTaxCodes: boolean;
  readonly reconciliation: Reconciliation;
  /** Why a rounding line is added (when it is). */
  readonly reason: string;
}

/** A document's lines as QuickBooks will take them, and what its total needs (nothing, a rounding line, or refusing). */
export function planQuickBooksLines(doc: DocumentToPush): QboLinePlan {
  const source = doc.source as unknown as SalesInvoiceSource;
  const mappings = doc.defaults.tax_code_mappings;
  const rateOf = (line: TotalsLine) => (source.amounts_are === 'no_tax' ? '0' : rateKey(line.tax_rate));
  const noTaxCodes = source.lines.every((line) => !mappings[rateOf(line)]);
  const lines = source.lines.map(quickBooksLineNumbers);

  const platform = documentTotals(source, { rateOf });
  const qbo = documentTotals(
    { currency: source.currency, amounts_are: noTaxCodes ? 'no_tax' : source.amounts_are, lines: lines.map((l) => ({ quantity: '1', unit_price: String(l.amount) })) },
    { places: QBO_AMOUNT_PLACES, rateOf: (_line, i) => (mappings[rateOf(source.lines[i]!)] ? rateOf(source.lines[i]!) : '0') },
  );
  const reconciliation = reconcileTotal({
    provider: 'QuickBooks', currency: source.currency, platform, providerTotal: qbo.total, providerPlaces: QBO_AMOUNT_PLACES, roundingAccount: doc.defaults.rounding_account,
  });
  const reason = `QuickBooks' line-by-line rounding totals this document at ${formatUnits(qbo.total, QBO_AMOUNT_PLACES)}, the platform at ${formatUnits(platform.total, platform.places)} ${source.currency}`;
  return { lines, noTaxCodes, reconciliation, reason };
}

/** Whether the document will carry a rounding line (its item must exist before the batch is built). */
export function needsQuickBooksRoundingLine(doc: DocumentToPush): boolean {
  return Boolean(doc.defaults.rounding_account) && planQuickBooksLines(doc).reconciliation.kind === 'adjust';
}
