/**
 * Exact decimal arithmetic for export amounts: the platform's decimal strings (up to 6 places)
 * become whole cents, rounded half away from zero once per line, never through floating point.
 */

interface Decimal {
  readonly n: bigint;
  readonly scale: number;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function parseDecimal(value: string): Decimal {
  const match = DECIMAL.exec(value);
  if (!match) throw new Error(`not a decimal: ${JSON.stringify(value)}`);
  const fraction = match[3] ?? '';
  const n = BigInt(`${match[2]}${fraction}`);
  return { n: match[1] ? -n : n, scale: fraction.length };
}

const pow10 = (k: number): bigint => 10n ** BigInt(k);

/** n / d rounded half away from zero. */
function roundDiv(n: bigint, d: bigint): bigint {
  if (d < 0n) return roundDiv(-n, -d);
  const q = n / d;
  const r = n % d;
  const twice = 2n * (r < 0n ? -r : r);
  return twice >= d ? q + (n < 0n ? -1n : 1n) : q;
}

/** Whole cents as a decimal string: 1250n → "12.50", -5n → "-0.05". */
export function formatCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

/** A line's amount in cents: quantity × unit price, less its discount rate (a percentage). */
export function lineAmountCents(line: { quantity: string; unit_price: string; discount_rate?: string | undefined }): bigint {
  const quantity = parseDecimal(line.quantity);
  const price = parseDecimal(line.unit_price);
  const discount = parseDecimal(line.discount_rate ?? '0');
  const hundred = 100n * pow10(discount.scale);
  // quantity × price × (100 − discount) / 100, × 100 for cents.
  return roundDiv(quantity.n * price.n * (hundred - discount.n) * 100n, pow10(quantity.scale + price.scale) * hundred);
}

/**
 * The tax in cents on a line amount at `rate` percent: on top of it when amounts are exclusive,
 * contained in it when inclusive. Undefined for a rate that cannot apply (−100% inclusive).
 */
export function lineTaxCents(amountCents: bigint, rate: string, amountsAre: 'exclusive' | 'inclusive'): bigint | undefined {
  const r = parseDecimal(rate);
  const hundred = 100n * pow10(r.scale);
  if (amountsAre === 'exclusive') return roundDiv(amountCents * r.n, hundred);
  return hundred + r.n === 0n ? undefined : roundDiv(amountCents * r.n, hundred + r.n);
}
