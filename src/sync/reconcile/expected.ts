/**
 * The total a document should have at the provider, from the snapshot Ledgerport sent: each line
 * quantity × unit price less its discount, rounded to cents, plus its tax at the line's rate
 * (exclusive amounts) or with the tax already in it (inclusive). Exact decimal arithmetic.
 * Where the provider maps a tax treatment instead of line rates (Xero), a zero-rated, exempt or
 * untaxed treatment posts no tax whatever the lines' rates.
 */

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const SCALE = 6;

/** A decimal string as an integer of millionths; null when it is not one. */
function scaled(value: unknown): bigint | null {
  const match = DECIMAL.exec(typeof value === 'number' ? String(value) : String(value ?? ''));
  if (!match) return null;
  const fraction = (match[3] ?? '').slice(0, SCALE).padEnd(SCALE, '0');
  const n = BigInt(`${match[2]}${fraction}`);
  return match[1] ? -n : n;
}

/** n / d rounded half away from zero. */
function roundDiv(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  const twice = 2n * (r < 0n ? -r : r);
  return twice >= d ? q + (n < 0n ? -1n : 1n) : q;
}

const ONE = 10n ** BigInt(SCALE);
const UNTAXED_TREATMENTS = new Set(['zero_rated', 'exempt', 'no_tax']);

export interface ExpectedTotal {
  /** Decimal string, 2 places. */
  readonly total: string;
  readonly lines: number;
}

export function expectedTotal(source: Record<string, unknown>, opts: { taxTreatment?: string | null } = {}): ExpectedTotal | null {
  const lines = source.lines;
  if (!Array.isArray(lines) || lines.length === 0) return null;
  const amountsAre = source.amounts_are;
  const untaxed = amountsAre === 'no_tax' || (opts.taxTreatment != null && UNTAXED_TREATMENTS.has(opts.taxTreatment));
  let cents = 0n;
  for (const raw of lines as Record<string, unknown>[]) {
    const quantity = scaled(raw.quantity);
    const price = scaled(raw.unit_price);
    const discount = raw.discount_rate === undefined ? 0n : scaled(raw.discount_rate);
    const rate = untaxed ? 0n : raw.tax_rate === undefined ? 0n : scaled(raw.tax_rate);
    if (quantity === null || price === null || discount === null || rate === null) return null;
    // quantity × price × (100 − discount) / 100, in cents.
    const amount = roundDiv(quantity * price * (100n * ONE - discount) * 100n, ONE * ONE * 100n * ONE);
    const tax = amountsAre === 'exclusive' ? roundDiv(amount * rate, 100n * ONE) : 0n;
    cents += amount + tax;
  }
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return { total: `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`, lines: lines.length };
}
