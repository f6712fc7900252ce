// Xero's line and document arithmetic: 2dp line amounts, per-line rounded tax.
import * as D from '../shared/decimal.ts';
import type { LineAmountTypes } from './types.ts';
import { round2 } from './xero-format.ts';

const ZERO: D.Dec = { n: 0n, scale: 0 };
const HUNDRED: D.Dec = { n: 100n, scale: 0 };
const CENT: D.Dec = { n: 1n, scale: 2 };

export interface LineNumbers {
  Quantity?: number;
  UnitAmount?: number;
  LineAmount?: number;
  DiscountRate?: number;
  DiscountAmount?: number;
  TaxAmount?: number;
}

export interface ComputedLine {
  Quantity: number;
  UnitAmount: number;
  LineAmount: number;
  TaxAmount: number;
  discount: number;
  error?: string;
}

/**
 * One line as Xero computes it, in decimal arithmetic as Xero does (numbers are read as the
 * decimals they were written as): Quantity to 4 places, UnitAmount to `unitdp`, LineAmount =
 * Quantity × UnitAmount less the discount, rounded to 2 places, and the line's own tax rounded
 * to 2 places (Exclusive: on top of LineAmount; Inclusive: contained in it).
 */
export function computeLine(n: LineNumbers, ratePercent: number, lat: LineAmountTypes, unitdp: number, lineNo: number): ComputedLine {
  const quantity = D.round(D.dec(n.Quantity ?? 1), 4);
  let unit: D.Dec;
  if (n.UnitAmount !== undefined) unit = D.round(D.dec(n.UnitAmount), unitdp);
  else if (n.LineAmount !== undefined && quantity.n !== 0n && n.DiscountRate === undefined && n.DiscountAmount === undefined) {
    unit = D.divRound(D.dec(n.LineAmount), quantity, unitdp);
  } else unit = ZERO;
  const exact = D.mul(quantity, unit);
  const gross = D.round(exact, 2);
  let lineAmount = gross;
  if (n.DiscountRate !== undefined) lineAmount = D.divRound(D.mul(exact, D.sub(HUNDRED, D.dec(n.DiscountRate))), HUNDRED, 2);
  else if (n.DiscountAmount !== undefined) lineAmount = D.round(D.sub(exact, D.dec(n.DiscountAmount)), 2);
  let error: string | undefined;
  if (n.LineAmount !== undefined && n.UnitAmount !== undefined && D.cmp(D.abs(D.sub(D.round(D.dec(n.LineAmount), 2), lineAmount)), CENT) > 0) {
    error = `The line total ${round2(n.LineAmount).toFixed(2)} for line item ${lineNo} does not match the calculated line total ${D.num(lineAmount).toFixed(2)}.`;
  } else if (n.LineAmount !== undefined && n.UnitAmount === undefined) {
    lineAmount = D.round(D.dec(n.LineAmount), 2);
  }
  const rate = D.dec(ratePercent);
  let tax = ZERO;
  if (lat === 'Exclusive') tax = D.divRound(D.mul(lineAmount, rate), HUNDRED, 2);
  else if (lat === 'Inclusive' && D.add(HUNDRED, rate).n !== 0n) tax = D.divRound(D.mul(lineAmount, rate), D.add(HUNDRED, rate), 2);
  if (n.TaxAmount !== undefined && lat !== 'NoTax') tax = D.round(D.dec(n.TaxAmount), 2);
  return {
    Quantity: D.num(quantity), UnitAmount: D.num(unit), LineAmount: D.num(lineAmount), TaxAmount: D.num(tax),
    discount: D.num(D.round(D.sub(gross, lineAmount), 2)), ...(error ? { error } : {}),
  };
}

export interface Totals { SubTotal: number; TotalTax: number; Total: number; TotalDiscount: number }

/** The document's totals: the sums of its (already rounded) lines, as Xero adds them. */
export function computeTotals(lines: { LineAmount: number; TaxAmount: number; discount: number }[], lat: LineAmountTypes): Totals {
  const sumLines = D.round(D.sum(lines.map((l) => D.dec(l.LineAmount))), 2);
  const totalTax = lat === 'NoTax' ? ZERO : D.round(D.sum(lines.map((l) => D.dec(l.TaxAmount))), 2);
  const TotalDiscount = D.num(D.round(D.sum(lines.map((l) => D.dec(l.discount))), 2));
  const TotalTax = D.num(totalTax);
  if (lat === 'Inclusive') return { SubTotal: D.num(D.sub(sumLines, totalTax)), TotalTax, Total: D.num(sumLines), TotalDiscount };
  return { SubTotal: D.num(sumLines), TotalTax, Total: D.num(D.add(sumLines, totalTax)), TotalDiscount };
}
