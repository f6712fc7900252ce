/**
 * The total a document should have at the provider, from the snapshot Ledgerport sent: the
 * platform's total (documents/totals.ts), which is what the provider holds for a document it took
 * as sent — the push maps it so, adding a rounding line where the provider's own arithmetic
 * differs, or refusing it. So the comparison is exact, to the unit; no tolerance is needed.
 * Where the provider maps a tax treatment instead of line rates (Xero), a zero-rated, exempt or
 * untaxed treatment posts no tax whatever the lines' rates, and a taxed line sent without a rate
 * posts at the organisation's own rate, which is not known here.
 */
import { formatUnits, parseDecimal, partialDocumentTotals, rescale, type AmountsAre, type TotalsDocument, type TotalsLine } from '../../documents/totals.ts';

const UNTAXED_TREATMENTS = new Set(['zero_rated', 'exempt', 'no_tax']);
const AMOUNTS_ARE: ReadonlySet<string> = new Set<AmountsAre>(['exclusive', 'inclusive', 'no_tax']);
const DECIMAL = /^-?\d+(\.\d+)?$/;

export interface ExpectedTotal {
  /** Decimal string in the currency's minor unit ("1201", "24.00", "1.235"). */
  readonly total: string;
  readonly units: bigint;
  readonly places: number;
}

export interface TaxPosting {
  /** The provider posts tax by the tenant's treatment (Xero), not by each line's rate (QuickBooks). */
  readonly taxByTreatment: boolean;
  /** The document's tax_treatment (its defaults snapshot), if any. */
  readonly taxTreatment: string | null;
}

const isDecimal = (value: unknown) => typeof value === 'string' && DECIMAL.test(value);

/** The snapshot's money fields, when they are all there and well formed (they are once validated at ingest). */
function totalsDocument(source: Record<string, unknown>): TotalsDocument | null {
  const { lines, currency, amounts_are: amountsAre } = source;
  if (!Array.isArray(lines) || lines.length === 0 || typeof currency !== 'string' || typeof amountsAre !== 'string' || !AMOUNTS_ARE.has(amountsAre)) return null;
  const wellFormed = (lines as Record<string, unknown>[]).every((l) =>
    isDecimal(l.quantity) && isDecimal(l.unit_price) && (l.discount_rate === undefined || isDecimal(l.discount_rate)) && (l.tax_rate === undefined || isDecimal(l.tax_rate)));
  return wellFormed ? (source as unknown as TotalsDocument) : null;
}

/** The document's total as the provider should hold it; null when it cannot be known (see above). */
export function expectedTotal(source: Record<string, unknown>, posting: TaxPosting): ExpectedTotal | null {
  const doc = totalsDocument(source);
  if (!doc) return null;
  const untaxed = doc.amounts_are === 'no_tax' || (posting.taxByTreatment && posting.taxTreatment !== null && UNTAXED_TREATMENTS.has(posting.taxTreatment));
  // A line without a rate: QuickBooks posts it at 0% (the "0" tax code); Xero at the organisation's standard or reduced rate.
  const rateOf = (line: TotalsLine) => (untaxed ? '0' : (line.tax_rate ?? (posting.taxByTreatment ? undefined : '0')));
  const totals = partialDocumentTotals(doc, { rateOf });
  if (totals.total === undefined) return null;
  return { total: formatUnits(totals.total, totals.places), units: totals.total, places: totals.places };
}

/** Whether the provider's total (a decimal string, 2 places) is the expected one exactly; one that is not a decimal does not agree (and is shown in the finding). */
export function providerTotalAgrees(expected: ExpectedTotal, providerTotal: string): boolean {
  if (!isDecimal(providerTotal)) return false;
  const theirs = parseDecimal(providerTotal);
  const places = Math.max(expected.places, theirs.scale);
  return rescale(expected.units, expected.places, places) === rescale(theirs.n, theirs.scale, places);
}
