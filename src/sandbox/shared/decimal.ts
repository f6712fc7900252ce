// Exact decimal arithmetic for the simulators' money: Xero and QuickBooks compute in decimals
// (not binary floating point), so a sandbox that rounds 2.675 must see 2.675, not 2.67499999….
// JSON numbers are read as their shortest decimal form (String(n)), which is what was written.
// Kept apart from Ledgerport's own arithmetic on purpose: the sandboxes check it independently.

export interface Dec {
  readonly n: bigint;
  readonly scale: number;
}

const FORM = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;
const p10 = (k: number): bigint => 10n ** BigInt(k);

export function dec(value: number | string): Dec {
  const text = String(value).trim();
  const m = FORM.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`not a decimal: ${text}`);
  const fraction = m[3] ?? '';
  let n = BigInt(`${m[2] || '0'}${fraction}`);
  let scale = fraction.length - Number(m[4] ?? 0);
  if (scale < 0) { n *= p10(-scale); scale = 0; }
  return { n: m[1] === '-' ? -n : n, scale };
}

export const mul = (a: Dec, b: Dec): Dec => ({ n: a.n * b.n, scale: a.scale + b.scale });

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.n * p10(scale - a.scale), b.n * p10(scale - b.scale), scale];
}

export function add(a: Dec, b: Dec): Dec {
  const [x, y, scale] = align(a, b);
  return { n: x + y, scale };
}

export const sub = (a: Dec, b: Dec): Dec => add(a, { n: -b.n, scale: b.scale });

/** n / d half away from zero. */
function roundDiv(n: bigint, d: bigint): bigint {
  if (d < 0n) return roundDiv(-n, -d);
  const q = n / d;
  const r = n % d;
  return 2n * (r < 0n ? -r : r) >= d ? q + (n < 0n ? -1n : 1n) : q;
}

/** a rounded half away from zero to `dp` places. */
export function round(a: Dec, dp: number): Dec {
  return a.scale <= dp ? a : { n: roundDiv(a.n, p10(a.scale - dp)), scale: dp };
}

/** a / b rounded half away from zero to `dp` places. */
export function divRound(a: Dec, b: Dec, dp: number): Dec {
  if (b.n === 0n) throw new Error('division by zero');
  // a/b = (a.n / 10^as) / (b.n / 10^bs) = a.n · 10^bs / (b.n · 10^as); × 10^dp for the result's units.
  return { n: roundDiv(a.n * p10(b.scale + dp), b.n * p10(a.scale)), scale: dp };
}

export function cmp(a: Dec, b: Dec): number {
  const [x, y] = align(a, b);
  return x === y ? 0 : x < y ? -1 : 1;
}

export const abs = (a: Dec): Dec => (a.n < 0n ? { n: -a.n, scale: a.scale } : a);

export function num(a: Dec): number {
  const negative = a.n < 0n;
  const digits = String(negative ? -a.n : a.n).padStart(a.scale + 1, '0');
  const text = a.scale === 0 ? digits : `${digits.slice(0, -a.scale)}.${digits.slice(-a.scale)}`;
  return Number(`${negative ? '-' : ''}${text}`);
}

/** Σ values, exactly. */
export const sum = (values: readonly Dec[]): Dec => values.reduce(add, { n: 0n, scale: 0 });
