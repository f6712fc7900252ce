/**
 * The platform's document total: the one definition of what a sales invoice, credit note or
 * supplier bill adds up to, which every provider's copy must equal to the currency's minor unit.
 *
 * The rule (per line, in exact decimal arithmetic, never floating point):
 *
 *   amount(line) = quantity × unit_price × (100 − discount_rate) / 100,
 *                  rounded half away from zero to the currency's minor unit (JPY 0, GBP 2, KWD 3 places)
 *   tax(line)    = exclusive: amount × rate / 100;   inclusive: amount × rate / (100 + rate);   no_tax: 0
 *                  rounded the same way, per line
 *   subtotal     = Σ amount (exclusive, no_tax)   or  Σ amount − Σ tax (inclusive)
 *   total        = Σ amount + Σ tax (exclusive)   or  Σ amount (inclusive, no_tax)
 *
 * Why per line: the envelope's money is decimal strings per line (DESIGN.md), a document shows
 * each line's amount in its currency, and the total is what those shown amounts add up to.
 * Xero and QuickBooks Online both compute tax line by line too (each line's tax rounded to 2
 * places, then summed), so for 2-decimal currencies the rule is theirs. `rate` is the line's
 * `tax_rate` (absent: 0%) unless a caller says which rate is actually posted for a line (a tax
 * treatment such as "exempt" overrides the line's rate: that is a posting choice, not rounding).
 *
 * Where a provider's own arithmetic cannot give this total (it keeps 2 decimal places whatever
 * the currency; it takes 4 decimals of quantity), its mapping either posts the difference on a
 * rounding line to the tenant's `rounding_account`, or refuses the document before anything is
 * sent, naming the exact difference (`reconcileTotal`).
 */

/** ISO 4217 minor units where they are not 2. */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

/** Decimal places of a currency's minor unit (ISO 4217; 2 for any code not listed). */
export function currencyDecimals(currency: string): number {
  return MINOR_UNITS[currency.toUpperCase()] ?? 2;
}

/** An exact decimal: n × 10^−scale. */
export interface Decimal {
  readonly n: bigint;
  readonly scale: number;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/** A decimal string ("12.50", "-3", "1e-7") or a JS number (read as its shortest decimal form, as JSON writes it). */
export function parseDecimal(value: string | number): Decimal {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = DECIMAL.exec(text);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw new Error(`not a decimal: ${JSON.stringify(value)}`);
  const fraction = match[3] ?? '';
  let n = BigInt(`${match[2] || '0'}${fraction}`);
  let scale = fraction.length - Number(match[4] ?? 0);
  if (scale < 0) { n *= pow10(-scale); scale = 0; }
  return { n: match[1] === '-' ? -n : n, scale };
}

export const pow10 = (k: number): bigint => 10n ** BigInt(k);

/** n / d rounded half away from zero. */
export function roundDiv(n: bigint, d: bigint): bigint {
  if (d === 0n) throw new Error('division by zero');
  if (d < 0n) return roundDiv(-n, -d);
  const q = n / d;
  const r = n % d;
  const twice = 2n * (r < 0n ? -r : r);
  return twice >= d ? q + (n < 0n ? -1n : 1n) : q;
}

/** How many decimal places a decimal needs (trailing zeros do not count): "1.2500" → 2. */
export function decimalPlaces(value: string | number | Decimal): number {
  let { n, scale } = typeof value === 'object' ? value : parseDecimal(value);
  while (scale > 0 && n % 10n === 0n) { n /= 10n; scale--; }
  return n === 0n ? 0 : scale;
}

/** A decimal rounded half away from zero to `places`, in units of 10^−places. */
export function toUnits(value: Decimal, places: number): bigint {
  return value.scale <= places ? value.n * pow10(places - value.scale) : roundDiv(value.n, pow10(value.scale - places));
}

/** Units of 10^−places as a decimal string: (1234n, 2) → "12.34", (-5n, 3) → "-0.005", (7n, 0) → "7". */
export function formatUnits(units: bigint, places: number): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = places === 0 ? abs : abs / pow10(places);
  const fraction = places === 0 ? '' : `.${String(abs % pow10(places)).padStart(places, '0')}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Units of 10^−from as units of 10^−to (rounded half away from zero when `to` is coarser). */
export function rescale(units: bigint, from: number, to: number): bigint {
  return toUnits({ n: units, scale: from }, to);
}

/** A decimal as a JS number, for providers' JSON bodies (exact for the few places money and quantities have). */
export function decimalNumber(value: Decimal): number {
  return Number(formatUnits(value.n, value.scale));
}

export type AmountsAre = 'exclusive' | 'inclusive' | 'no_tax';

export interface TotalsLine {
  readonly quantity: string;
  readonly unit_price: string;
  readonly discount_rate?: string | undefined;
  readonly tax_rate?: string | undefined;
}

export interface TotalsDocument {
  readonly currency: string;
  readonly amounts_are: AmountsAre;
  readonly lines: readonly TotalsLine[];
}

/** quantity × unit price × (100 − discount) / 100, exactly. */
export function lineGross(line: Pick<TotalsLine, 'quantity' | 'unit_price' | 'discount_rate'>): Decimal {
  const q = parseDecimal(line.quantity);
  const p = parseDecimal(line.unit_price);
  const d = parseDecimal(line.discount_rate ?? '0');
  const hundred = 100n * pow10(d.scale);
  // q·p·(hundred − d)/hundred: scale q + p + d, then one exact division by 100 (2 more places).
  return { n: q.n * p.n * (hundred - d.n), scale: q.scale + p.scale + d.scale + 2 };
}

/** A line's amount in units of 10^−places. */
export function lineAmountUnits(line: Pick<TotalsLine, 'quantity' | 'unit_price' | 'discount_rate'>, places: number): bigint {
  return toUnits(lineGross(line), places);
}

/** The tax on a line amount (units of 10^−places) at `rate` percent, in the same units. */
export function lineTaxUnits(amount: bigint, rate: string | number, amountsAre: AmountsAre): bigint {
  if (amountsAre === 'no_tax') return 0n;
  const r = parseDecimal(rate);
  if (r.n === 0n) return 0n;
  const hundred = 100n * pow10(r.scale);
  if (amountsAre === 'exclusive') return roundDiv(amount * r.n, hundred);
  if (hundred + r.n === 0n) throw new Error(`a ${formatUnits(r.n, r.scale)}% rate cannot be contained in an amount`);
  return roundDiv(amount * r.n, hundred + r.n);
}

export interface DocumentTotals {
  /** Decimal places of every figure here (units of 10^−places). */
  readonly places: number;
  readonly lines: readonly { readonly amount: bigint; readonly tax: bigint }[];
  readonly subtotal: bigint;
  readonly tax: bigint;
  readonly total: bigint;
}

export interface TotalsOptions {
  /** Decimal places to round to; default the currency's minor unit. */
  readonly places?: number;
  /** The tax rate (percent) posted for a line; default its tax_rate, absent 0. */
  readonly rateOf?: (line: TotalsLine, index: number) => string | number;
}

/** The document's totals by the rule above. */
export function documentTotals(doc: TotalsDocument, options: TotalsOptions = {}): DocumentTotals {
  const places = options.places ?? currencyDecimals(doc.currency);
  const rateOf = options.rateOf ?? ((line: TotalsLine) => line.tax_rate ?? '0');
  const lines = doc.lines.map((line, index) => {
    const amount = lineAmountUnits(line, places);
    return { amount, tax: lineTaxUnits(amount, rateOf(line, index), doc.amounts_are) };
  });
  const sumAmounts = lines.reduce((s, l) => s + l.amount, 0n);
  const tax = lines.reduce((s, l) => s + l.tax, 0n);
  return doc.amounts_are === 'inclusive'
    ? { places, lines, subtotal: sumAmounts - tax, tax, total: sumAmounts }
    : { places, lines, subtotal: sumAmounts, tax, total: sumAmounts + tax };
}

export interface PartialTotals {
  /** Decimal places of every figure here (units of 10^−places). */
  readonly places: number;
  /** `tax` undefined: the line's rate is not known (or cannot apply). */
  readonly lines: readonly { readonly amount: bigint; readonly tax: bigint | undefined }[];
  /** Undefined when exclusive amounts have a line whose tax is not known; inclusive and untaxed totals never depend on it. */
  readonly total: bigint | undefined;
}

/** Whether `rate` percent can be applied to amounts given as `amountsAre` (−100% cannot be contained in an amount). */
export function rateApplies(rate: string | number, amountsAre: AmountsAre): boolean {
  if (amountsAre !== 'inclusive') return true;
  const r = parseDecimal(rate);
  return 100n * pow10(r.scale) + r.n !== 0n;
}

/**
 * documentTotals for a caller that does not know every line's posted rate (`rateOf` answers
 * undefined: e.g. the provider's standard rate for a line sent without one): the same figures
 * wherever they do not depend on an unknown rate, undefined where they do. A rate that cannot
 * apply (−100% inclusive) counts as not known rather than throwing.
 */
export function partialDocumentTotals(
  doc: TotalsDocument,
  options: { readonly places?: number; readonly rateOf: (line: TotalsLine, index: number) => string | number | undefined },
): PartialTotals {
  const rates = doc.lines.map((line, index) => {
    const rate = options.rateOf(line, index);
    return rate !== undefined && rateApplies(rate, doc.amounts_are) ? rate : undefined;
  });
  const totals = documentTotals(doc, { ...(options.places !== undefined ? { places: options.places } : {}), rateOf: (_line, index) => rates[index] ?? '0' });
  const lines = totals.lines.map((line, index) => ({ amount: line.amount, tax: doc.amounts_are === 'no_tax' || rates[index] !== undefined ? line.tax : undefined }));
  const unknown = doc.amounts_are === 'exclusive' && lines.some((line) => line.tax === undefined);
  return { places: totals.places, lines, total: unknown ? undefined : totals.total };
}

/** A document's total as a decimal string in its currency ("1201", "12.50", "12.345"). */
export function formatTotal(doc: TotalsDocument, options?: TotalsOptions): string {
  const totals = documentTotals(doc, options);
  return formatUnits(totals.total, totals.places);
}

export type Reconciliation =
  | { readonly kind: 'matched' }
  /** Post `amount` (decimal string, provider places; may be negative) on a rounding line. */
  | { readonly kind: 'adjust'; readonly amount: string; readonly units: bigint }
  | { readonly kind: 'refuse'; readonly message: string };

/**
 * Compares the platform's total with the provider's own total for the mapped document (both
 * exact) and says what the mapping must do. The provider keeps `providerPlaces` decimals, so a
 * platform total with more (a KWD total of 12.345 at Xero) cannot be posted at all; any other
 * difference is posted to the rounding account, or refused when the tenant has none.
 */
export function reconcileTotal(input: {
  readonly provider: string;
  readonly currency: string;
  readonly platform: { readonly total: bigint; readonly places: number };
  readonly providerTotal: bigint;
  readonly providerPlaces: number;
  readonly roundingAccount: string | null | undefined;
}): Reconciliation {
  const { provider, currency, platform, providerTotal, providerPlaces } = input;
  const places = Math.max(platform.places, providerPlaces);
  const wanted = rescale(platform.total, platform.places, places);
  const got = rescale(providerTotal, providerPlaces, places);
  if (wanted === got) return { kind: 'matched' };
  const difference = formatUnits(wanted - got, places);
  const shown = (units: bigint, p: number) => `${formatUnits(units, p)} ${currency}`;
  const representable = rescale(rescale(wanted, places, providerPlaces), providerPlaces, places) === wanted;
  if (!representable) {
    return {
      kind: 'refuse',
      message: `${provider} keeps amounts to ${providerPlaces} decimal places, so this document's total of ${shown(platform.total, platform.places)} cannot be posted exactly: ${provider} would total it at ${shown(providerTotal, providerPlaces)} (difference ${difference} ${currency})`,
    };
  }
  if (!input.roundingAccount) {
    return {
      kind: 'refuse',
      message: `${provider} rounds each line to ${providerPlaces} decimal places and would total this document at ${shown(providerTotal, providerPlaces)}, not ${shown(platform.total, platform.places)} (difference ${difference} ${currency}); set rounding_account in the posting defaults to post such differences to a rounding account`,
    };
  }
  const units = wanted - got;
  return { kind: 'adjust', amount: formatUnits(rescale(units, places, providerPlaces), providerPlaces), units: rescale(units, places, providerPlaces) };
}

/** The line text used when a line's quantity and price cannot be given to the provider as they are. */
export function collapsedDescription(description: string, line: Pick<TotalsLine, 'quantity' | 'unit_price' | 'discount_rate'>, max = 4000): string {
  const discount = line.discount_rate !== undefined && parseDecimal(line.discount_rate).n !== 0n ? ` less ${line.discount_rate}%` : '';
  const suffix = `${description ? ' ' : ''}(${line.quantity} × ${line.unit_price}${discount})`;
  return `${description.slice(0, Math.max(0, max - suffix.length))}${suffix}`;
}
